// `backends:` golden errors.
#include <gtest/gtest.h>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;

// Listeners and routes on lines 1-2; the backends section starts on line 3.
std::string withBackends(std::string_view backends) {
  return "listeners: [{ address: 127.0.0.1:80 }]\nroutes: [{ backend: app }]\n" +
         std::string(backends);
}

TEST(Backends, ReportABadServerPortAtTheValue) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers:
      - name: app1
        address: 127.0.0.1:8001
      - name: app2
        address: 127.0.0.1:80x
)")),
            "gatehouse.yaml:9:18: backends.app.servers[1].address: bad port \"80x\"");
}

TEST(Backends, RejectPortZeroForAServer) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers: [{ name: app1, address: "127.0.0.1:0" }]
)")),
            "gatehouse.yaml:5:38: backends.app.servers[0].address: port 0 is only meaningful for "
            "listeners");
}

TEST(Backends, RejectDuplicateServerNamesWithinAPool) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers:
      - { name: app1, address: 127.0.0.1:8001 }
      - { name: app1, address: 127.0.0.1:8002 }
  api:
    servers:
      - { name: app1, address: 127.0.0.1:9001 }
)")),
            "gatehouse.yaml:7:17: backends.app.servers[1].name: duplicate server name \"app1\" "
            "(first at 6:17)");
}

TEST(Backends, RejectDuplicatePoolNames) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers: [{ name: app1, address: 127.0.0.1:8001 }]
  app:
    servers: [{ name: app2, address: 127.0.0.1:8002 }]
)")),
            "gatehouse.yaml:6:3: backends.app: duplicate backend name (first at 4:3)");
}

TEST(Backends, RejectNamesThatCannotAppearInAdminPaths) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers: [{ name: app1, address: 127.0.0.1:8001 }]
  "a/b":
    servers: [{ name: "x y", address: 127.0.0.1:8002 }]
)")),
            "gatehouse.yaml:6:3: backends.a/b: bad backend name (use letters, digits, '-', '_' "
            "or '.')\n"
            "gatehouse.yaml:7:23: backends.a/b.servers[0].name: bad name \"x y\" (use letters, "
            "digits, '-', '_' or '.')");
}

TEST(Backends, RequireAtLeastOneServer) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers: []
  api:
    servers:
  web:
    balance: round_robin
)")),
            "gatehouse.yaml:5:14: backends.app.servers: at least one server is required\n"
            "gatehouse.yaml:7:5: backends.api.servers: at least one server is required\n"
            "gatehouse.yaml:9:5: backends.web.servers: required key is missing");
}

TEST(Backends, RequireAtLeastOnePool) {
  EXPECT_EQ(errorsOf(withBackends("backends: {}\n")),
            "gatehouse.yaml:3:11: backends: at least one backend is required");
}

TEST(Backends, RequireANameAndAnAddressPerServer) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers:
      - { weight: 2 }
)")),
            "gatehouse.yaml:6:9: backends.app.servers[0].name: required key is missing\n"
            "gatehouse.yaml:6:9: backends.app.servers[0].address: required key is missing");
}

TEST(Backends, RejectWrongTypes) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app: [127.0.0.1:8001]
  api:
    servers: { name: api1 }
  web:
    servers:
      - web1
)")),
            "gatehouse.yaml:4:8: backends.app: expected a map, got a list\n"
            "gatehouse.yaml:6:14: backends.api.servers: expected a list, got a map\n"
            "gatehouse.yaml:9:9: backends.web.servers[0]: expected a map, got \"web1\"");
  EXPECT_EQ(errorsOf(withBackends("backends: [app]\n")),
            "gatehouse.yaml:3:11: backends: expected a map, got a list");
}

TEST(Backends, CheckWeightRetriesAndIdleRanges) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    retries: 11
    max_idle: -1
    servers:
      - { name: a, address: 127.0.0.1:8001, weight: abc }
      - { name: b, address: 127.0.0.1:8002, weight: 257 }
      - { name: c, address: 127.0.0.1:8003, weight: 1.5 }
)")),
            "gatehouse.yaml:5:14: backends.app.retries: expected a whole number from 0 to 10, "
            "got \"11\"\n"
            "gatehouse.yaml:6:15: backends.app.max_idle: expected a whole number from 0 to 4096, "
            "got \"-1\"\n"
            "gatehouse.yaml:8:53: backends.app.servers[0].weight: expected a whole number from 0 "
            "to 256, got \"abc\"\n"
            "gatehouse.yaml:9:53: backends.app.servers[1].weight: expected a whole number from 0 "
            "to 256, got \"257\"\n"
            "gatehouse.yaml:10:53: backends.app.servers[2].weight: expected a whole number from 0 "
            "to 256, got \"1.5\"");
}

TEST(Backends, AcceptTheEdgesOfEachRange) {
  auto c = load(withBackends(R"(backends:
  app:
    retries: 0
    max_idle: 0
    servers:
      - { name: a, address: 127.0.0.1:8001, weight: 0 }
      - { name: b, address: 127.0.0.1:8002, weight: 256 }
)"));
  EXPECT_EQ(c->backends[0].retries, 0u);
  EXPECT_EQ(c->backends[0].max_idle_per_server, 0u);
  EXPECT_EQ(c->backends[0].servers[0].weight, 0u);
  EXPECT_EQ(c->backends[0].servers[1].weight, 256u);
}

// Issue 16: a pool whose every server has weight 0 would answer every request with 503.
TEST(Backends, RefuseAPoolWhoseEveryServerHasWeightZero) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers:
      - { name: a, address: 127.0.0.1:8001, weight: 0 }
      - { name: b, address: 127.0.0.1:8002, weight: 0 }
)")),
            "gatehouse.yaml:6:7: backends.app.servers: every server has weight 0, so the pool "
            "can never be picked; give one a weight (`ctl maint`/`ctl drain` take servers out at "
            "run time)");
}

TEST(Backends, AcceptOnlyKnownBalanceNames) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    balance: random
    servers: [{ name: a, address: 127.0.0.1:8001 }]
)")),
            "gatehouse.yaml:5:14: backends.app.balance: expected round_robin or least_conn, got "
            "\"random\"");
}

TEST(Backends, ReadHealthSlowStartAndHold) {
  auto c = load(withBackends(R"(backends:
  app:
    servers: [{ name: a, address: 127.0.0.1:8001 }]
    health:
      path: /health
      interval: 2s
      timeout: 500ms
      rise: 3
      fall: 4
      expect: [200, 301-302]
      host: app.internal
      passive: { fall: 7, on: [connect, 5xx] }
    slow_start: 10s
    hold: 10s
    hold_max: 500
)"));
  const BackendConfig& b = c->backends[0];
  ASSERT_TRUE(b.health.has_value());
  EXPECT_EQ(b.health->path, "/health");
  EXPECT_EQ(b.health->interval, Duration(2000));
  EXPECT_EQ(b.health->timeout, Duration(500));
  EXPECT_EQ(b.health->rise, 3u);
  EXPECT_EQ(b.health->fall, 4u);
  EXPECT_EQ(b.health->expect, (std::vector<StatusRange>{{200, 200}, {301, 302}}));
  EXPECT_EQ(b.health->host, "app.internal");
  EXPECT_EQ(b.health->passive.fall, 7u);
  EXPECT_TRUE(b.health->passive.on_connect);
  EXPECT_FALSE(b.health->passive.on_timeout);
  EXPECT_TRUE(b.health->passive.on_5xx);
  EXPECT_EQ(b.slow_start, Duration(10000));
  EXPECT_EQ(b.hold, Duration(10000));
  EXPECT_EQ(b.hold_max, 500u);
}

TEST(Backends, HealthDefaultsAreInterfaceMds) {
  auto c = load(withBackends(R"(backends:
  app:
    servers: [{ name: a, address: 127.0.0.1:8001 }]
    health: { path: /health }
)"));
  const HealthCheckConfig& h = *c->backends[0].health;
  EXPECT_EQ(h.interval, Duration(2000));
  EXPECT_EQ(h.timeout, Duration(1000));
  EXPECT_EQ(h.rise, 2u);
  EXPECT_EQ(h.fall, 3u);
  EXPECT_EQ(h.expect, (std::vector<StatusRange>{{200, 399}}));
  EXPECT_EQ(h.passive.fall, 5u);
  EXPECT_TRUE(h.passive.on_connect && h.passive.on_timeout && !h.passive.on_5xx);
  EXPECT_EQ(c->backends[0].hold, Duration(0));
  EXPECT_EQ(c->backends[0].hold_max, 10000u);
}

TEST(Backends, NoHealthKeyMeansNoChecks) {
  auto c = load(withBackends(R"(backends:
  app:
    servers: [{ name: a, address: 127.0.0.1:8001 }]
)"));
  EXPECT_FALSE(c->backends[0].health.has_value());
}

TEST(Backends, RejectBadHealthChecks) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers: [{ name: a, address: 127.0.0.1:8001 }]
    health:
      path: health
      interval: 0s
      rise: 0
      expect: 399-200
      passive: { on: [refused] }
)")),
            "gatehouse.yaml:7:13: backends.app.health.path: expected a path starting with '/' "
            "and without spaces\n"
            "gatehouse.yaml:8:17: backends.app.health.interval: must be more than 0\n"
            "gatehouse.yaml:9:13: backends.app.health.rise: expected a whole number from 1 to 100, "
            "got "
            "\"0\"\n"
            "gatehouse.yaml:10:15: backends.app.health.expect: expected a status like 200 or a "
            "range like 200-399, got \"399-200\"\n"
            "gatehouse.yaml:11:23: backends.app.health.passive.on[0]: expected connect, timeout "
            "or 5xx, got \"refused\"");
}

TEST(Backends, RejectAHealthCheckWithoutPathOrWithTimeoutOverInterval) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers: [{ name: a, address: 127.0.0.1:8001 }]
    health: { interval: 1s, timeout: 2s }
)")),
            "gatehouse.yaml:6:13: backends.app.health.path: required key is missing\n"
            "gatehouse.yaml:6:38: backends.app.health.timeout: must not be longer than interval "
            "(1000 ms)");
}

TEST(Backends, RejectBadHoldValues) {
  EXPECT_EQ(
      errorsOf(withBackends(R"(backends:
  app:
    servers: [{ name: a, address: 127.0.0.1:8001 }]
    hold: 10
    hold_max: -1
    slow_start: soon
)")),
      "gatehouse.yaml:6:11: backends.app.hold: bad duration \"10\": needs a unit (ms, s, m or "
      "h)\n"
      "gatehouse.yaml:7:15: backends.app.hold_max: expected a whole number from 0 to 1000000, "
      "got \"-1\"\n"
      "gatehouse.yaml:8:17: backends.app.slow_start: bad duration \"soon\": expected a whole "
      "number (like 10s)");
}

TEST(Backends, RejectUnknownKeysInPoolsAndServers) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    server: []
    servers: [{ name: a, adress: 127.0.0.1:8001, address: 127.0.0.1:8002 }]
)")),
            "gatehouse.yaml:5:5: backends.app.server: unknown key (did you mean \"servers\"?)\n"
            "gatehouse.yaml:6:26: backends.app.servers[0].adress: unknown key (did you mean "
            "\"address\"?)");
}

}  // namespace
}  // namespace gatehouse::config
