#include "admin-api/tail_hub.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gatehouse::admin {
namespace {

TEST(TailHub, EachEntryIsOneLineOfValidJson) {
  server::TapEntry e;
  e.time_ms = 1764000000123;
  e.client = "127.0.0.1";
  e.method = "GET";
  e.host = "example.com";
  e.target = "/a\"b\\c\x01";
  e.status = 503;
  e.bytes = 42;
  e.duration_us = 1500;
  e.server = "app/app1";
  e.cache = "gatehouse; fwd=uri-miss";
  const std::string line = TailHub::line(e);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["target"], "/a\"b\\c\x01");
  EXPECT_EQ(j["time"], "2025-11-24T16:00:00Z");
  EXPECT_EQ(j["time_ms"], 1764000000123);
  EXPECT_EQ(j["status"], 503);
  EXPECT_DOUBLE_EQ(j["ms"].get<double>(), 1.5);
  EXPECT_EQ(j["server"], "app/app1");
  EXPECT_EQ(j["listener"], 0);
}

}  // namespace
}  // namespace gatehouse::admin
