#pragma once
// The Cache-Status response field (RFC 9211) as gatehouse writes it, e.g.
//   gatehouse; hit; ttl=42
//   gatehouse; fwd=uri-miss; stored
//   gatehouse; hit; ttl=-3; detail=stale-while-revalidate
// The same text goes to the access log (ExchangeRecord::cache_status).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/inline_buffer.h"

namespace gatehouse::cache {

struct CacheStatus {
  enum class Fwd { None, UriMiss, VaryMiss, Stale, Bypass, Request };
  bool hit = false;
  Fwd fwd = Fwd::None;
  std::optional<int> fwd_status;
  std::optional<int64_t> ttl;
  bool stored = false;
  bool collapsed = false;
  std::string_view detail;  // a token: "stale-while-revalidate", "stale-if-error", ...

  InlineBuffer<128> format() const;  // no allocation: this runs for every hit
  // The same written over `out` (the exchange's record): no 128-byte copy of a returned buffer.
  void formatInto(InlineBuffer<128>& out) const;
};

}  // namespace gatehouse::cache
