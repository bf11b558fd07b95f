// Issue 14, "time is bounded": docs/INTERFACE.md's "Time bounds" table names every key of the
// `timeouts:` section the docs show, and the config loader accepts each of them, so a timeout
// added to the config without its row in the table (or documented but not read) fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

std::string interfaceDoc() {
  std::ifstream in(GATEHOUSE_SOURCE_DIR "/docs/INTERFACE.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text between "## Time bounds" and the next section.
std::string timeBoundsSection(const std::string& doc) {
  const size_t start = doc.find("## Time bounds");
  if (start == std::string::npos) return {};
  const size_t end = doc.find("\n## ", start + 1);
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The keys of the `timeouts: { ... }` map in the docs' example config (it spans lines).
std::set<std::string> documentedTimeoutKeys(const std::string& doc) {
  std::set<std::string> keys;
  const size_t start = doc.find("\ntimeouts: {");
  const size_t end = doc.find('}', start);
  if (start == std::string::npos || end == std::string::npos) return keys;
  const std::string map = doc.substr(start, end - start);
  const std::regex key(R"(([a-z_]+):\s*[0-9])");
  for (auto it = std::sregex_iterator(map.begin(), map.end(), key); it != std::sregex_iterator();
       ++it)
    keys.insert((*it)[1]);
  return keys;
}

TEST(TimeBounds, TheDocsTableNamesEveryTimeoutAndTheLoaderReadsEachOne) {
  const std::string doc = interfaceDoc();
  ASSERT_FALSE(doc.empty()) << "docs/INTERFACE.md not found";
  const std::string table = timeBoundsSection(doc);
  ASSERT_FALSE(table.empty()) << "docs/INTERFACE.md has no \"## Time bounds\" section";
  const std::set<std::string> keys = documentedTimeoutKeys(doc);
  ASSERT_GE(keys.size(), 8u) << "the timeouts: example in docs/INTERFACE.md was not found whole";
  for (const std::string& key : keys) {
    EXPECT_NE(table.find("`timeouts." + key + "`"), std::string::npos)
        << "timeouts." << key << " has no row in the Time bounds table";
    EXPECT_EQ(testing::errorsOf(testing::minimalPlus("timeouts: { " + key + ": 5s }\n")), "OK")
        << "timeouts." << key << " is documented but the config does not read it";
  }
  for (const char* key : {"backend_idle", "tunnel_idle"})
    EXPECT_TRUE(keys.count(key)) << key << " missing from the docs' timeouts: example";
}

TEST(TimeBounds, BackendIdleAndTunnelIdleDefaultTo60sAnd1h) {
  auto c = testing::load(testing::kMinimalConfig);
  EXPECT_EQ(c->timeouts.backend_idle, std::chrono::seconds(60));
  EXPECT_EQ(c->timeouts.tunnel_idle, std::chrono::hours(1));
  c = testing::load(testing::minimalPlus("timeouts: { backend_idle: 2s, tunnel_idle: 10m }\n"));
  EXPECT_EQ(c->timeouts.backend_idle, std::chrono::seconds(2));
  EXPECT_EQ(c->timeouts.tunnel_idle, std::chrono::minutes(10));
  EXPECT_EQ(testing::errorsOf(testing::minimalPlus("timeouts:\n  tunnel_idle: 0s\n")),
            "gatehouse.yaml:10:16: timeouts.tunnel_idle: must be more than 0");
}

}  // namespace
}  // namespace gatehouse::config
