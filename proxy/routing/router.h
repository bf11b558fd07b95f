#pragma once
// Maps a request's host and path to a route; the first matching route wins, as in the config.
// Host patterns: "*" (any), "example.com" (exact), "*.example.com" (any subdomain, not the apex).
// Hosts compare case-insensitively and without the port. Path prefixes match on a segment
// boundary (http::pathHasPrefix): "/api" takes "/api" and "/api/x", not "/apifoo". A path with a
// dot-segment is matched as it is, then refused by the pipeline (http/request_path.h).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/upstream/backend_pool.h"

namespace gatehouse::routing {

struct Route {
  std::string host;  // lowercase pattern
  std::string path_prefix;
  upstream::BackendPool* pool = nullptr;
  bool cache = false;
  std::optional<std::chrono::milliseconds> cache_ttl;  // replaces the response's freshness
  // The statuses cache_ttl (and read_only.min_ttl) apply to (config.h says why).
  std::vector<int> cache_ttl_statuses = std::vector<int>(config::kDefaultCacheTtlStatuses.begin(),
                                                         config::kDefaultCacheTtlStatuses.end());
  bool strip_set_cookie = false;  // lets a response with Set-Cookie be stored
  // Whose successful unsafe requests invalidate their URL (RFC 9111 §4.4).
  config::InvalidateOnUnsafe invalidate_on_unsafe = config::InvalidateOnUnsafe::Always;
};

class Router {
 public:
  explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}
  // The first route matching, or null.
  const Route* match(std::string_view authority, std::string_view path) const;

  // "Example.COM:8080" -> "example.com"; "[::1]:80" -> "[::1]".
  static std::string normalizeHost(std::string_view authority);
  static bool hostMatches(std::string_view pattern, std::string_view host);

 private:
  std::vector<Route> routes_;
};

}  // namespace gatehouse::routing
