#include "proxy/upstream/forwarded_headers.h"

namespace gatehouse::upstream {
namespace {
constexpr std::string_view kVia = "1.1 gatehouse";

void appendVia(http::HeaderMap& headers) {
  std::string via(headers.get("via"));
  headers.set("Via", via.empty() ? std::string(kVia) : via + ", " + std::string(kVia));
}
}  // namespace

void addForwardedHeaders(http::RequestHead& head, const http::ClientInfo& client) {
  head.headers.set("X-Forwarded-For", client.ip);
  head.headers.set("X-Forwarded-Proto", client.tls ? "https" : "http");
  head.headers.set("X-Forwarded-Host", head.authority);
  head.headers.remove("forwarded");  // RFC 7239 form, equally forgeable; not produced (yet)
  appendVia(head.headers);
}

void addResponseVia(http::HeaderMap& headers) {
  appendVia(headers);
}

}  // namespace gatehouse::upstream
