// `cache:` golden errors and defaults.
#include <gtest/gtest.h>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;

TEST(Cache, IsAbsentByDefault) {
  auto config = load(std::string(testing::kMinimalConfig));
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->cache);
}

TEST(Cache, ReadsEveryKey) {
  auto config =
      load(minimalPlus("cache:\n"
                       "  memory: 64MiB\n"
                       "  max_object: 1MiB\n"
                       "  grace: 10m\n"
                       "  coalesce_timeout: 2s\n"
                       "  heuristic_max: 1h\n"
                       "  anonymous_ignore_cookies: [_ga, _gid]\n"));
  ASSERT_TRUE(config);
  const CacheConfig& cache = *config->cache;
  EXPECT_EQ(cache.memory, ByteSize::mib(64));
  EXPECT_EQ(cache.max_object, ByteSize::mib(1));
  EXPECT_EQ(cache.grace, Duration(600000));
  EXPECT_EQ(cache.coalesce_timeout, Duration(2000));
  EXPECT_EQ(cache.heuristic_max, Duration(3600000));
  EXPECT_EQ(cache.anonymous_ignore_cookies, (std::vector<std::string>{"_ga", "_gid"}));
}

TEST(Cache, AnEmptySectionTakesTheDefaults) {
  auto config = load(minimalPlus("cache:\n"));
  ASSERT_TRUE(config);
  EXPECT_EQ(config->cache->memory, ByteSize::mib(256));
  EXPECT_EQ(config->cache->max_object, ByteSize::mib(8));
}

TEST(Cache, ShrinksTheDefaultMaxObjectToAnEighthOfMemory) {
  auto config = load(minimalPlus("cache: { memory: 16MiB }\n"));
  ASSERT_TRUE(config);
  EXPECT_EQ(config->cache->max_object, ByteSize::mib(2));
}

TEST(Cache, RejectsAMaxObjectOverAnEighthOfMemory) {
  EXPECT_EQ(errorsOf(minimalPlus("cache: { memory: 16MiB, max_object: 4MiB }\n")),
            "gatehouse.yaml:9:37: cache.max_object: must be at most 1/8 of cache.memory (2MiB), "
            "got 4MiB");
}

TEST(Cache, RejectsATinyMemory) {
  EXPECT_EQ(errorsOf(minimalPlus("cache: { memory: 256KiB }\n")),
            "gatehouse.yaml:9:18: cache.memory: must be at least 1MiB, got 256KiB");
}

TEST(Cache, RejectsABadCookieName) {
  EXPECT_EQ(errorsOf(minimalPlus("cache:\n  anonymous_ignore_cookies: [\"a b\"]\n")),
            "gatehouse.yaml:10:30: cache.anonymous_ignore_cookies[0]: \"a b\" is not a cookie "
            "name");
}

TEST(Cache, RejectsUnknownKeys) {
  EXPECT_EQ(errorsOf(minimalPlus("cache: { memroy: 1GiB }\n")),
            "gatehouse.yaml:9:10: cache.memroy: unknown key (did you mean \"memory\"?)");
}

TEST(Cache, ARouteNeedsTheSectionToCache) {
  EXPECT_EQ(errorsOf("listeners: [{ address: 127.0.0.1:80 }]\n"
                     "backends: { app: { servers: [{ name: a, address: 127.0.0.1:8001 }] } }\n"
                     "routes: [{ backend: app, cache: true }]\n"),
            "gatehouse.yaml:3:33: routes[0].cache: needs a top-level `cache:` section");
}

TEST(Cache, RoutesReadTheirOverrides) {
  auto config = load(
      "listeners: [{ address: 127.0.0.1:80 }]\n"
      "backends: { app: { servers: [{ name: a, address: 127.0.0.1:8001 }] } }\n"
      "cache: {}\n"
      "routes: [{ backend: app, cache: true, cache_ttl: 5m, strip_set_cookie: true }]\n");
  ASSERT_TRUE(config);
  const RouteConfig& route = config->routes[0];
  EXPECT_TRUE(route.cache);
  EXPECT_EQ(route.cache_ttl, Duration(300000));
  EXPECT_TRUE(route.strip_set_cookie);
}

}  // namespace
}  // namespace gatehouse::config
