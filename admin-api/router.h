#pragma once
// The admin API's routes: method + path pattern -> endpoint. Patterns are literal segments and
// `:name` segments that match any one non-empty segment ("/backends/:pool/:server"), so adding
// an endpoint is one add() line. HEAD is served wherever GET is.

#include <string>
#include <string_view>
#include <vector>

#include "admin-api/endpoint.h"

namespace gatehouse::admin {

// Who may call a route: anyone (the load balancer's health check) or only a token holder.
enum class Access { Public, Token };

class Router {
 public:
  void add(std::string_view method, std::string_view pattern, Access access, Endpoint endpoint);

  struct Lookup {
    enum class Kind { Found, NotFound, MethodNotAllowed };
    Kind kind = Kind::NotFound;
    const Endpoint* endpoint = nullptr;  // when Found
    // Found: the route's. Otherwise Public only when every route of this path is public, so
    // that a client without a token learns nothing about which paths exist.
    Access access = Access::Token;
    std::vector<std::pair<std::string, std::string>> params;  // when Found
    std::string allow;                                        // when MethodNotAllowed: "GET, HEAD"
  };
  Lookup find(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Access access;
    Endpoint endpoint;
  };
  // The parameters when `path` matches the route's segments, in `out`; false otherwise.
  static bool matches(const Route& route, const std::vector<std::string_view>& path,
                      std::vector<std::pair<std::string, std::string>>& out);

  std::vector<Route> routes_;
};

}  // namespace gatehouse::admin
