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
                       "  anonymous_ignore_cookies: [_ga, _gid]\n"
                       "  max_variants: 8\n"
                       "  stale_if_error: 5m\n"
                       "  targeted_fields: [Gatehouse-Cache-Control, CDN-Cache-Control]\n"
                       "  forward_targeted_fields: true\n"
                       "  replay_early_hints: true\n"));
  ASSERT_TRUE(config);
  const CacheConfig& cache = *config->cache;
  EXPECT_EQ(cache.memory, ByteSize::mib(64));
  EXPECT_EQ(cache.max_object, ByteSize::mib(1));
  EXPECT_EQ(cache.grace, Duration(600000));
  EXPECT_EQ(cache.coalesce_timeout, Duration(2000));
  EXPECT_EQ(cache.heuristic_max, Duration(3600000));
  EXPECT_EQ(cache.anonymous_ignore_cookies, (std::vector<std::string>{"_ga", "_gid"}));
  EXPECT_EQ(cache.max_variants, 8u);
  EXPECT_EQ(cache.stale_if_error, Duration(300000));
  EXPECT_EQ(cache.targeted_fields,
            (std::vector<std::string>{"Gatehouse-Cache-Control", "CDN-Cache-Control"}));
  EXPECT_TRUE(cache.forward_targeted_fields);
  EXPECT_TRUE(cache.replay_early_hints);
}

TEST(Cache, AnEmptySectionTakesTheDefaults) {
  auto config = load(minimalPlus("cache:\n"));
  ASSERT_TRUE(config);
  EXPECT_EQ(config->cache->memory, ByteSize::mib(256));
  EXPECT_EQ(config->cache->max_object, ByteSize::mib(8));
  EXPECT_EQ(config->cache->max_variants, 32u);
  // Issue 15: stale-while-revalidate only when the origin (or an explicit grace) permits it;
  // stale-if-error for a bounded window.
  EXPECT_EQ(config->cache->grace, Duration(0));
  EXPECT_EQ(config->cache->stale_if_error, Duration(3600000));
  EXPECT_EQ(config->cache->targeted_fields, (std::vector<std::string>{"CDN-Cache-Control"}));
  EXPECT_FALSE(config->cache->forward_targeted_fields);
  EXPECT_FALSE(config->cache->replay_early_hints);
}

TEST(Cache, RejectsATargetedFieldThatIsNotAFieldName) {
  EXPECT_EQ(errorsOf(minimalPlus("cache:\n  targeted_fields: [\"a b\"]\n")),
            "gatehouse.yaml:10:21: cache.targeted_fields[0]: \"a b\" is not a field name");
  EXPECT_EQ(errorsOf(minimalPlus("cache:\n  targeted_fields: [Cache-Control]\n")),
            "gatehouse.yaml:10:21: cache.targeted_fields[0]: \"Cache-Control\" is not a field "
            "name");
}

TEST(Cache, RejectsMaxVariantsOutsideItsRange) {
  EXPECT_EQ(errorsOf(minimalPlus("cache: { max_variants: 0 }\n")),
            "gatehouse.yaml:9:24: cache.max_variants: expected a whole number from 1 to 1024, "
            "got \"0\"");
  EXPECT_EQ(errorsOf(minimalPlus("cache: { max_variants: 5000 }\n")),
            "gatehouse.yaml:9:24: cache.max_variants: expected a whole number from 1 to 1024, "
            "got \"5000\"");
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
  EXPECT_EQ(route.cache_ttl_statuses, (std::vector<int>{200, 203, 204, 300, 301, 308}));
  EXPECT_EQ(route.invalidate_on_unsafe, InvalidateOnUnsafe::Always);
}

// Issue 14, defect 4: a forced TTL applies only to the statuses listed.
TEST(Cache, RoutesListTheStatusesAForcedTtlAppliesTo) {
  auto config = load(
      "listeners: [{ address: 127.0.0.1:80 }]\n"
      "backends: { app: { servers: [{ name: a, address: 127.0.0.1:8001 }] } }\n"
      "cache: {}\n"
      "routes: [{ backend: app, cache: true, cache_ttl: 5m, cache_ttl_statuses: [200, 404] }]\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->routes[0].cache_ttl_statuses, (std::vector<int>{200, 404}));
}

TEST(Cache, RoutesRefuseStatusesThatAreNeverStored) {
  EXPECT_EQ(errorsOf("listeners: [{ address: 127.0.0.1:80 }]\n"
                     "backends: { app: { servers: [{ name: a, address: 127.0.0.1:8001 }] } }\n"
                     "cache: {}\n"
                     "routes: [{ backend: app, cache_ttl_statuses: [200, 206, 304, 99, x] }]\n"),
            "gatehouse.yaml:4:52: routes[0].cache_ttl_statuses[1]: 206 is never stored as a "
            "response of its own\n"
            "gatehouse.yaml:4:57: routes[0].cache_ttl_statuses[2]: 304 is never stored as a "
            "response of its own\n"
            "gatehouse.yaml:4:62: routes[0].cache_ttl_statuses[3]: expected a whole number from "
            "200 to 599, got \"99\"\n"
            "gatehouse.yaml:4:66: routes[0].cache_ttl_statuses[4]: expected a whole number from "
            "200 to 599, got \"x\"");
}

// Issue 14, defect 7: whose unsafe requests invalidate.
TEST(Cache, RoutesSayWhoseUnsafeRequestsInvalidate) {
  auto config = load(
      "listeners: [{ address: 127.0.0.1:80 }]\n"
      "backends: { app: { servers: [{ name: a, address: 127.0.0.1:8001 }] } }\n"
      "cache: {}\n"
      "routes:\n"
      "  - { backend: app, path_prefix: /a/, invalidate_on_unsafe: true }\n"
      "  - { backend: app, path_prefix: /b/, invalidate_on_unsafe: false }\n"
      "  - { backend: app, path_prefix: /c/, invalidate_on_unsafe: session }\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->routes[0].invalidate_on_unsafe, InvalidateOnUnsafe::Always);
  EXPECT_EQ(config->routes[1].invalidate_on_unsafe, InvalidateOnUnsafe::Never);
  EXPECT_EQ(config->routes[2].invalidate_on_unsafe, InvalidateOnUnsafe::Session);
  EXPECT_EQ(errorsOf("listeners: [{ address: 127.0.0.1:80 }]\n"
                     "backends: { app: { servers: [{ name: a, address: 127.0.0.1:8001 }] } }\n"
                     "routes: [{ backend: app, invalidate_on_unsafe: sometimes }]\n"),
            "gatehouse.yaml:3:48: routes[0].invalidate_on_unsafe: expected true, false or "
            "session, got \"sometimes\"");
}

}  // namespace
}  // namespace gatehouse::config
