// workers, shutdown_grace, timeouts, limits and log: golden errors and accepted edges.
#include <gtest/gtest.h>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;  // the appended text starts on line 9

TEST(Workers, AcceptAutoAndOneTo256) {
  EXPECT_EQ(load(minimalPlus("workers: 1\n"))->workers, 1u);
  EXPECT_EQ(load(minimalPlus("workers: 256\n"))->workers, 256u);
  EXPECT_GE(load(minimalPlus("workers: auto\n"))->workers, 1u);
}

TEST(Workers, RejectEverythingElse) {
  for (std::string bad : {"0", "257", "-1", "2.5", "many", "Auto", "\"\""}) {
    std::string shown = bad == "\"\"" ? "" : bad;
    EXPECT_EQ(errorsOf(minimalPlus("workers: " + bad + "\n")),
              "gatehouse.yaml:9:10: workers: expected \"auto\" or a whole number from 1 to 256, "
              "got \"" +
                  shown + "\"");
  }
  EXPECT_EQ(errorsOf(minimalPlus("workers:\n")),
            "gatehouse.yaml:9:1: workers: expected \"auto\" or a whole number from 1 to 256, got "
            "nothing");
}

TEST(ShutdownGrace, TakesADurationWithAUnitAndMayBeZero) {
  EXPECT_EQ(load(minimalPlus("shutdown_grace: 0s\n"))->shutdown_grace.count(), 0);
  EXPECT_EQ(errorsOf(minimalPlus("shutdown_grace: 30\n")),
            "gatehouse.yaml:9:17: shutdown_grace: bad duration \"30\": needs a unit (ms, s, m or "
            "h)");
  EXPECT_EQ(errorsOf(minimalPlus("shutdown_grace: -5s\n")),
            "gatehouse.yaml:9:17: shutdown_grace: bad duration \"-5s\": must not be negative");
}

TEST(Timeouts, MustBeDurationsAboveZero) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(timeouts:
  client_header: 0ms
  client_idle: 60
  backend_connect: 3sec
  backend_response: { s: 60 }
  connect: 3s
)")),
            "gatehouse.yaml:10:18: timeouts.client_header: must be more than 0\n"
            "gatehouse.yaml:11:16: timeouts.client_idle: bad duration \"60\": needs a unit (ms, "
            "s, m or h)\n"
            "gatehouse.yaml:12:20: timeouts.backend_connect: bad duration \"3sec\": unknown unit "
            "\"sec\" (use ms, s, m or h)\n"
            "gatehouse.yaml:13:21: timeouts.backend_response: expected a duration like 10s, got "
            "a map\n"
            "gatehouse.yaml:14:3: timeouts.connect: unknown key");
  EXPECT_EQ(errorsOf(minimalPlus("timeouts: 10s\n")),
            "gatehouse.yaml:9:11: timeouts: expected a map, got \"10s\"");
}

TEST(Timeouts, ClientSendBoundsAStalledResponseAndDefaultsTo30s) {
  EXPECT_EQ(load(std::string(testing::kMinimalConfig))->timeouts.client_send,
            std::chrono::seconds(30));
  EXPECT_EQ(load(minimalPlus("timeouts: { client_send: 300ms }\n"))->timeouts.client_send,
            std::chrono::milliseconds(300));
  EXPECT_EQ(errorsOf(minimalPlus("timeouts:\n  client_send: 0s\n")),
            "gatehouse.yaml:10:16: timeouts.client_send: must be more than 0");
  EXPECT_EQ(errorsOf(minimalPlus("timeouts:\n  client_send: 30\n")),
            "gatehouse.yaml:10:16: timeouts.client_send: bad duration \"30\": needs a unit (ms, "
            "s, m or h)");
}

TEST(Limits, HaveSaneMinimums) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(limits:
  request_line: 255
  headers: 1023
  header_count: 7
  body: 10KB
)")),
            "gatehouse.yaml:10:17: limits.request_line: must be at least 256, got 255\n"
            "gatehouse.yaml:11:12: limits.headers: must be at least 1KiB, got 1023\n"
            "gatehouse.yaml:12:17: limits.header_count: expected a whole number from 8 to 10000, "
            "got \"7\"\n"
            "gatehouse.yaml:13:9: limits.body: bad size \"10KB\": unknown unit \"KB\" (use KiB, "
            "MiB or GiB, or a number of bytes)");
}

TEST(Limits, AcceptTheirMinimums) {
  auto c =
      load(minimalPlus("limits: { request_line: 256, headers: 1KiB, header_count: 8, body: 0 }\n"));
  EXPECT_EQ(c->limits.request_line.bytes(), 256u);
  EXPECT_EQ(c->limits.headers, ByteSize::kib(1));
  EXPECT_EQ(c->limits.header_count, 8u);
  EXPECT_EQ(c->limits.body.bytes(), 0u);
}

// Issue 14, defect 12: the minimum request body rate.
TEST(BodyRate, DefaultsToTenSecondWindowsAndOneKiBPerSecond) {
  auto c = load(minimalPlus(""));
  EXPECT_EQ(c->timeouts.client_body, Duration(10000));
  EXPECT_EQ(c->limits.min_body_rate, ByteSize::kib(1));
  c = load(minimalPlus("timeouts: { client_body: 300ms }\nlimits: { min_body_rate: 0 }\n"));
  EXPECT_EQ(c->timeouts.client_body, Duration(300));
  EXPECT_EQ(c->limits.min_body_rate.bytes(), 0u) << "0: any progress in a window will do";
}

TEST(BodyRate, RejectsAZeroWindowAndARateThatIsNotASize) {
  EXPECT_EQ(
      errorsOf(minimalPlus("timeouts:\n  client_body: 0s\nlimits:\n  min_body_rate: fast\n")),
      "gatehouse.yaml:10:16: timeouts.client_body: must be more than 0\n"
      "gatehouse.yaml:12:18: limits.min_body_rate: bad size \"fast\": expected a whole number "
      "(like 8KiB)");
}

TEST(Limits, ConnectionAndMemoryLimitsDefaultToAutoAnd256And1GiB) {
  auto c = load(minimalPlus(""));
  EXPECT_FALSE(c->limits.max_connections.has_value());
  EXPECT_EQ(c->limits.max_connections_per_ip, 256u);
  EXPECT_EQ(c->limits.memory, ByteSize::gib(1));
  auto set = load(
      minimalPlus("limits: { max_connections: 5000, max_connections_per_ip: 0, memory: 8MiB }\n"));
  EXPECT_EQ(set->limits.max_connections, 5000u);
  EXPECT_EQ(set->limits.max_connections_per_ip, 0u);
  EXPECT_EQ(set->limits.memory, ByteSize::mib(8));
  EXPECT_FALSE(
      load(minimalPlus("limits: { max_connections: auto }\n"))->limits.max_connections.has_value());
}

TEST(Limits, RejectConnectionAndMemoryLimitsOutOfRange) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(limits:
  max_connections: 0
  max_connections_per_ip: -1
  memory: 512KiB
)")),
            "gatehouse.yaml:10:20: limits.max_connections: expected \"auto\" or a whole number "
            "from 1 to 100000000, got \"0\"\n"
            "gatehouse.yaml:11:27: limits.max_connections_per_ip: expected a whole number from 0 "
            "to 100000000, got \"-1\"\n"
            "gatehouse.yaml:12:11: limits.memory: must be at least 1MiB, got 512KiB");
}

TEST(Log, AcceptsStreamsOffAndFiles) {
  EXPECT_EQ(load(minimalPlus("log: { access: stderr }\n"))->log.access, "stderr");
  EXPECT_EQ(load(minimalPlus("log: { access: \"off\" }\n"))->log.access, "off");
  EXPECT_EQ(load(minimalPlus("log: { access: logs/access.log, level: debug }\n"))->log.level,
            log::Level::Debug);
}

TEST(Log, RejectsUnknownLevelsAndFormats) {
  EXPECT_EQ(errorsOf(minimalPlus("log: { access: \"\", format: common, level: trace }\n")),
            "gatehouse.yaml:9:16: log.access: must not be empty\n"
            "gatehouse.yaml:9:28: log.format: expected combined or json, got \"common\"\n"
            "gatehouse.yaml:9:43: log.level: expected debug, info, warn or error, got \"trace\"");
}

}  // namespace
}  // namespace gatehouse::config
