#pragma once
// Request ids: 16 hex digits, unique per process run without coordination between workers
// (a random per-worker prefix and a counter). An incoming X-Request-Id is kept when sane, so a
// request keeps one id across tiers.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/inline_buffer.h"
#include "proxy/http/header_map.h"

namespace gatehouse::http {

// An id kept inline: 16 generated hex digits or an adopted one of at most 128 characters, so
// no request allocates for its id.
using RequestId = InlineBuffer<128>;

class RequestIdGenerator {
 public:
  RequestIdGenerator();
  RequestId next();
  // Keeps a client's id if it is 1..128 visible ASCII characters; otherwise makes one.
  RequestId adoptOrNext(std::string_view incoming);
  // The id of a request with these fields: the client's X-Request-Id when it is sane and
  // alone (it stays in the fields), else a new one (the client's fields are dropped; whoever
  // forwards the request adds X-Request-Id with the exchange's id).
  RequestId take(HeaderMap& headers);

 private:
  uint32_t prefix_;
  uint32_t counter_ = 0;
};

}  // namespace gatehouse::http
