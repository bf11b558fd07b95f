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

TEST(Backends, AcceptOnlyKnownBalanceNames) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    balance: random
    servers: [{ name: a, address: 127.0.0.1:8001 }]
)")),
            "gatehouse.yaml:5:14: backends.app.balance: expected round_robin or least_conn, got "
            "\"random\"");
}

TEST(Backends, RejectHealthSlowStartAndHoldAsNotSupportedYet) {
  EXPECT_EQ(errorsOf(withBackends(R"(backends:
  app:
    servers: [{ name: a, address: 127.0.0.1:8001 }]
    health: { path: /health, interval: 2s }
    slow_start: 10s
    hold: 10s
    hold_max: 10000
)")),
            "gatehouse.yaml:6:5: backends.app.health: not supported yet in this version\n"
            "gatehouse.yaml:7:5: backends.app.slow_start: not supported yet in this version\n"
            "gatehouse.yaml:8:5: backends.app.hold: not supported yet in this version\n"
            "gatehouse.yaml:9:5: backends.app.hold_max: not supported yet in this version");
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
