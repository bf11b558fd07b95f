#include "proxy/http/message.h"

#include <array>
#include <string_view>

#include "proxy/base/ascii.h"

namespace gatehouse::http {

void removeHopByHop(HeaderMap& headers, bool keep_upgrade) {
  // Fields that Connection names are hop-by-hop too (RFC 9110 §7.6.1).
  std::vector<std::string> named;
  for (const Header& h : headers) {
    if (!ascii::iequals(h.name, "connection")) continue;
    ascii::forEachListElement(h.value, [&](std::string_view t) { named.emplace_back(t); });
  }
  static constexpr std::array<std::string_view, 8> kHopByHop = {
      "connection", "keep-alive",        "proxy-connection", "te",
      "trailer",    "transfer-encoding", "upgrade",          "proxy-authenticate"};
  headers.removeIf([&](const Header& h) {
    if (keep_upgrade && ascii::iequals(h.name, "upgrade")) return false;
    for (std::string_view hop : kHopByHop)
      if (ascii::iequals(h.name, hop)) return true;
    for (const std::string& n : named)
      if (ascii::iequals(h.name, n)) return !(keep_upgrade && ascii::iequals(n, "upgrade"));
    return false;
  });
}

}  // namespace gatehouse::http
