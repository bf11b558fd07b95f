#include "proxy/http/message.h"

#include <string_view>

#include "proxy/base/ascii.h"

namespace gatehouse::http {

bool isHopByHop(std::string_view name) {
  // The length rules out most names before any comparison: this runs for every field a
  // backend sends.
  switch (name.size()) {
    case 2:
      return ascii::iequals(name, "te");
    case 7:
      return ascii::iequals(name, "trailer") || ascii::iequals(name, "upgrade");
    case 10:
      return ascii::iequals(name, "connection") || ascii::iequals(name, "keep-alive");
    case 16:
      return ascii::iequals(name, "proxy-connection");
    case 17:
      return ascii::iequals(name, "transfer-encoding");
    case 18:
      return ascii::iequals(name, "proxy-authenticate");
    default:
      return false;
  }
}

void removeHopByHop(HeaderMap& headers, bool keep_upgrade) {
  // Fields that Connection names are hop-by-hop too (RFC 9110 §7.6.1).
  std::vector<std::string> named;
  for (const Header& h : headers) {
    if (!ascii::iequals(h.name, "connection")) continue;
    ascii::forEachListElement(h.value, [&](std::string_view t) { named.emplace_back(t); });
  }
  headers.removeIf([&](const Header& h) {
    if (keep_upgrade && ascii::iequals(h.name, "upgrade")) return false;
    if (isHopByHop(h.name)) return true;
    for (const std::string& n : named)
      if (ascii::iequals(h.name, n)) return !(keep_upgrade && ascii::iequals(n, "upgrade"));
    return false;
  });
}

}  // namespace gatehouse::http
