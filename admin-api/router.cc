#include "admin-api/router.h"

#include <cassert>

namespace gatehouse::admin {
namespace {

// "/a/b" -> {"a", "b"}; "/" -> {}. Empty segments ("//", a trailing '/') are kept, so that
// "/status/" is not "/status": one spelling per resource. `path` starts with '/'.
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path == "/") return out;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::add(std::string_view method, std::string_view pattern, Access access,
                 Endpoint endpoint) {
  assert(!pattern.empty() && pattern.front() == '/');
  Route route{std::string(method), {}, access, std::move(endpoint)};
  for (std::string_view segment : split(pattern))
    route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, const std::vector<std::string_view>& path,
                     std::vector<std::pair<std::string, std::string>>& out) {
  if (route.segments.size() != path.size()) return false;
  out.clear();
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    if (!want.empty() && want.front() == ':') {
      if (path[i].empty()) return false;
      out.emplace_back(want.substr(1), path[i]);
    } else if (want != path[i]) {
      return false;
    }
  }
  return true;
}

Router::Lookup Router::find(std::string_view method, std::string_view path) const {
  Lookup lookup;
  if (path.empty() || path.front() != '/') return lookup;  // "*" (OPTIONS) and the like
  const std::vector<std::string_view> segments = split(path);
  // HEAD is answered by the GET route; the codec leaves the body out.
  const std::string_view wanted = method == "HEAD" ? "GET" : method;
  std::vector<std::pair<std::string, std::string>> params;
  bool any_path_match = false, all_public = true;
  for (const Route& route : routes_) {
    if (!matches(route, segments, params)) continue;
    if (route.method == wanted) {
      lookup.kind = Lookup::Kind::Found;
      lookup.endpoint = &route.endpoint;
      lookup.access = route.access;
      lookup.params = std::move(params);
      lookup.allow.clear();
      return lookup;
    }
    any_path_match = true;
    all_public = all_public && route.access == Access::Public;
    if (!lookup.allow.empty()) lookup.allow += ", ";
    lookup.allow += route.method;
    if (route.method == "GET") lookup.allow += ", HEAD";
  }
  if (any_path_match) {
    lookup.kind = Lookup::Kind::MethodNotAllowed;
    lookup.access = all_public ? Access::Public : Access::Token;
  } else {
    lookup.allow.clear();
  }
  return lookup;
}

}  // namespace gatehouse::admin
