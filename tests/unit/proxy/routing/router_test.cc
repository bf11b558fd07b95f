#include "proxy/routing/router.h"

#include <gtest/gtest.h>

namespace gatehouse::routing {
namespace {

// A route to `pool`; every other option at its default.
Route route(std::string host, std::string prefix, upstream::BackendPool* pool, bool cache) {
  Route r;
  r.host = std::move(host);
  r.path_prefix = std::move(prefix);
  r.pool = pool;
  r.cache = cache;
  return r;
}

Router makeRouter() {
  // Pools are not dereferenced by the router; distinct fake addresses tell routes apart.
  auto* api = reinterpret_cast<upstream::BackendPool*>(0x1);
  auto* blog = reinterpret_cast<upstream::BackendPool*>(0x2);
  auto* app = reinterpret_cast<upstream::BackendPool*>(0x3);
  auto* wild = reinterpret_cast<upstream::BackendPool*>(0x4);
  return Router({route("api.example.com", "/", api, false), route("*", "/blog/", blog, true),
                 route("*.example.org", "/", wild, false), route("*", "/", app, false)});
}

uintptr_t poolOf(const Router& r, std::string_view host, std::string_view path) {
  const Route* route = r.match(host, path);
  return route ? reinterpret_cast<uintptr_t>(route->pool) : 0;
}

TEST(Router, FirstMatchingRouteWins) {
  Router r = makeRouter();
  EXPECT_EQ(poolOf(r, "api.example.com", "/blog/x"), 1u);
  EXPECT_EQ(poolOf(r, "www.example.com", "/blog/x"), 2u);
  EXPECT_EQ(poolOf(r, "www.example.com", "/"), 3u);
}

TEST(Router, HostsCompareWithoutCaseOrPortOrTrailingDot) {
  Router r = makeRouter();
  EXPECT_EQ(poolOf(r, "API.Example.COM:8443", "/"), 1u);
  EXPECT_EQ(poolOf(r, "api.example.com.", "/"), 1u);
}

TEST(Router, WildcardMatchesSubdomainsButNotTheApex) {
  Router r = makeRouter();
  EXPECT_EQ(poolOf(r, "a.example.org", "/"), 4u);
  EXPECT_EQ(poolOf(r, "a.b.example.org", "/"), 4u);
  EXPECT_EQ(poolOf(r, "example.org", "/"), 3u);
  EXPECT_EQ(poolOf(r, "badexample.org", "/"), 3u);
}

TEST(Router, PrefixIsMatchedOnThePathOnly) {
  Router r = makeRouter();
  EXPECT_EQ(poolOf(r, "x", "/blog"), 3u);  // "/blog/" prefix needs the slash
  EXPECT_EQ(poolOf(r, "x", "/blog/"), 2u);
}

// Issue 14: "/api" matched "/apifoo", so a route meant for one folder took its neighbours.
TEST(Router, APrefixWithoutATrailingSlashMatchesWholeSegmentsOnly) {
  auto* api = reinterpret_cast<upstream::BackendPool*>(0x1);
  auto* app = reinterpret_cast<upstream::BackendPool*>(0x3);
  Router r({route("*", "/api", api, false), route("*", "/", app, false)});
  EXPECT_EQ(poolOf(r, "x", "/api"), 1u);
  EXPECT_EQ(poolOf(r, "x", "/api/v1/users"), 1u);
  EXPECT_EQ(poolOf(r, "x", "/apifoo"), 3u);
  EXPECT_EQ(poolOf(r, "x", "/api-internal/x"), 3u);
}

TEST(Router, NoRouteGivesNull) {
  Router r({route("only.example.com", "/", reinterpret_cast<upstream::BackendPool*>(0x1), false)});
  EXPECT_EQ(r.match("other.example.com", "/"), nullptr);
}

TEST(Router, NormalizesIpv6Authorities) {
  EXPECT_EQ(Router::normalizeHost("[::1]:8080"), "[::1]");
  EXPECT_EQ(Router::normalizeHost("Example.com"), "example.com");
}

}  // namespace
}  // namespace gatehouse::routing
