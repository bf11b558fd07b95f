// `routes:` golden errors and host patterns.
#include <gtest/gtest.h>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;

// Listeners and backends on lines 1-4; the routes section starts on line 5.
std::string withRoutes(std::string_view routes) {
  return R"(listeners: [{ address: 127.0.0.1:80 }]
backends:
  app: { servers: [{ name: a, address: 127.0.0.1:8001 }] }
  api: { servers: [{ name: a, address: 127.0.0.1:9001 }] }
)" + std::string(routes);
}

TEST(Routes, MustNameADefinedBackend) {
  EXPECT_EQ(errorsOf(withRoutes("routes:\n  - { backend: ap }\n")),
            "gatehouse.yaml:6:16: routes[0].backend: unknown backend \"ap\" (defined: app, api)");
}

TEST(Routes, AreNotCheckedAgainstAMissingBackendsSection) {
  // One error, not one more per route: the backends problem is the one to fix.
  EXPECT_EQ(errorsOf("listeners: [{ address: 127.0.0.1:80 }]\n"
                     "routes: [{ backend: app }, { backend: api }]\n"),
            "gatehouse.yaml:1:1: backends: required key is missing");
}

TEST(Routes, RequireABackend) {
  EXPECT_EQ(errorsOf(withRoutes("routes:\n  - { path_prefix: /api/ }\n")),
            "gatehouse.yaml:6:5: routes[0].backend: required key is missing");
}

TEST(Routes, RequireAtLeastOne) {
  EXPECT_EQ(errorsOf(withRoutes("routes: []\n")),
            "gatehouse.yaml:5:9: routes: at least one route is required");
  EXPECT_EQ(errorsOf(withRoutes("routes: app\n")),
            "gatehouse.yaml:5:9: routes: expected a list, got \"app\"");
}

TEST(Routes, NeedAPathPrefixThatIsAPath) {
  EXPECT_EQ(errorsOf(withRoutes(R"(routes:
  - { path_prefix: api/, backend: app }
  - { path_prefix: "/a b", backend: app }
  - { path_prefix: "/a?b", backend: app }
  - { path_prefix: "", backend: app }
)")),
            "gatehouse.yaml:6:20: routes[0].path_prefix: must start with \"/\", got \"api/\"\n"
            "gatehouse.yaml:7:20: routes[1].path_prefix: bad path prefix \"/a b\": only a URL "
            "path, without spaces, '?' or '#'\n"
            "gatehouse.yaml:8:20: routes[2].path_prefix: bad path prefix \"/a?b\": only a URL "
            "path, without spaces, '?' or '#'\n"
            "gatehouse.yaml:9:20: routes[3].path_prefix: must not be empty");
}

TEST(Routes, AcceptStarExactHostsAndStarDotSuffix) {
  auto c = load(withRoutes(R"(routes:
  - { host: "*", backend: app }
  - { host: example.com, backend: app }
  - { host: WWW.Example.COM, backend: app }
  - { host: "*.example.com", backend: app }
  - { host: 10.0.0.1, backend: app }
  - { host: my_host-1, backend: app }
)"));
  ASSERT_EQ(c->routes.size(), 6u);
  EXPECT_EQ(c->routes[0].host, "*");
  EXPECT_EQ(c->routes[1].host, "example.com");
  EXPECT_EQ(c->routes[2].host, "www.example.com");
  EXPECT_EQ(c->routes[3].host, "*.example.com");
  EXPECT_EQ(c->routes[4].host, "10.0.0.1");
  EXPECT_EQ(c->routes[5].host, "my_host-1");
}

TEST(Routes, RejectOtherHostPatterns) {
  const std::string patterns[] = {"*example.com", "a.*.com",      "*.",           "**",
                                  "example..com", ".example.com", "exa mple.com", "*.*.com"};
  for (const std::string& p : patterns) {
    EXPECT_EQ(errorsOf(withRoutes("routes: [{ host: \"" + p + "\", backend: app }]\n")),
              "gatehouse.yaml:5:18: routes[0].host: bad host pattern \"" + p +
                  "\" (use \"*\", an exact host, or \"*.suffix\")");
  }
  EXPECT_EQ(errorsOf(withRoutes("routes: [{ host: \"example.com:8080\", backend: app }]\n")),
            "gatehouse.yaml:5:18: routes[0].host: bad host pattern \"example.com:8080\": hosts "
            "are matched without the port");
}

TEST(Routes, TakeCacheAsTrueOrFalseOnly) {
  EXPECT_EQ(errorsOf(withRoutes("routes: [{ backend: app, cache: yes }]\n")),
            "gatehouse.yaml:5:33: routes[0].cache: expected true or false, got \"yes\"");
}

TEST(Routes, RejectUnknownKeys) {
  EXPECT_EQ(errorsOf(withRoutes("routes: [{ backend: app, prefix: /api/ }]\n")),
            "gatehouse.yaml:5:26: routes[0].prefix: unknown key");
}

}  // namespace
}  // namespace gatehouse::config

namespace gatehouse::config {
namespace {
TEST(Routes, RefuseCacheWithoutACacheSection) {
  auto errors = errorsOf(withRoutes("routes:\n  - { backend: app, cache: true }\n"));
  EXPECT_NE(errors.find("routes[0].cache: needs a top-level `cache:` section"), std::string::npos)
      << errors;
}
}  // namespace
}  // namespace gatehouse::config
