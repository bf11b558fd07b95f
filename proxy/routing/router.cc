#include "proxy/routing/router.h"

#include "proxy/base/ascii.h"
#include "proxy/http/request_path.h"

namespace gatehouse::routing {

std::string Router::normalizeHost(std::string_view authority) {
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = close == std::string_view::npos ? host : host.substr(0, close + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "example.com." is the same
  std::string out(host);
  for (char& c : out)
    c = ascii::toLower(c);
  return out;
}

bool Router::hostMatches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.starts_with("*.")) {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  return pattern == host;
}

const Route* Router::match(std::string_view authority, std::string_view path) const {
  std::string host = normalizeHost(authority);
  for (const Route& route : routes_) {
    if (hostMatches(route.host, host) && http::pathHasPrefix(path, route.path_prefix))
      return &route;
  }
  return nullptr;
}

}  // namespace gatehouse::routing
