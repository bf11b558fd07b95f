#include "proxy/http/trailer_fields.h"

#include <array>

#include "proxy/base/ascii.h"

namespace gatehouse::http {
namespace {

// Beside the content-* prefix: what a message needs before its content, by RFC 9110 §6.5.1's
// kinds, and the fields gatehouse itself vouches for toward backends.
constexpr std::array<std::string_view, 41> kNotInTrailers = {
    // framing and the connection
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    "http2-settings",
    // routing and forwarding
    "host", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
    "x-forwarded-port", "x-real-ip", "via", "max-forwards", "x-request-id",
    // authentication and state
    "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate", "cookie",
    "set-cookie",
    // request modifiers
    "expect", "range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
    "if-range", "cache-control", "pragma",
    // response controls
    "age", "expires", "date", "location", "retry-after", "vary", "warning", "accept-ranges"};

}  // namespace

bool allowedInTrailers(std::string_view name) {
  constexpr std::string_view kContent = "content-";
  if (name.size() >= kContent.size() && ascii::iequals(name.substr(0, kContent.size()), kContent))
    return false;
  for (std::string_view forbidden : kNotInTrailers)
    if (ascii::iequals(name, forbidden)) return false;
  return true;
}

size_t removeDisallowedTrailers(HeaderMap& trailers) {
  const size_t before = trailers.size();
  trailers.removeIf([](const Header& h) { return !allowedInTrailers(h.name); });
  return before - trailers.size();
}

}  // namespace gatehouse::http
