#pragma once
// The header block Http2ResponseFields hands to nghttp2, as comparable values: for tests that
// hold it to the rules (names, values, flags, order).

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "proxy/http/http2_response_fields.h"

namespace gatehouse::testing {

using Nv = std::tuple<std::string, std::string, uint8_t>;  // name, value, flags

inline std::vector<Nv> headerBlock(const http::Http2ResponseFields& fields) {
  std::vector<Nv> out;
  for (size_t i = 0; i < fields.size(); ++i) {
    const nghttp2_nv& nv = fields.data()[i];
    out.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                     std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen), nv.flags);
  }
  return out;
}

}  // namespace gatehouse::testing
