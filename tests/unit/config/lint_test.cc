// lintConfig: warnings `gatehouse check` prints for a config that loads but is likely a mistake,
// and the positions Config::key_origins keeps for later verdicts (issue 16).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::load;
using testing::minimalPlus;

std::string withAdmin(std::string_view address) {
  setenv("GATEHOUSE_LINT_TEST_TOKEN", "secret", 1);
  return minimalPlus("admin:\n  address: " + std::string(address) +
                     "\n  token_env: GATEHOUSE_LINT_TEST_TOKEN\n");
}

TEST(LintConfig, WarnsAboutAPlainHttpAdminApiOffLoopback) {
  auto exposed = load(withAdmin("0.0.0.0:9901"));
  auto warnings = lintConfig(*exposed);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(warnings[0].starts_with(
      "gatehouse.yaml:10:3: admin.address: warning: 0.0.0.0:9901 is not a loopback address and "
      "the admin API speaks plain HTTP"))
      << warnings[0];
  for (const char* loopback :
       {"127.0.0.1:9901", "127.0.0.2:9901", "\"[::1]:9901\"", "localhost:9901"})
    EXPECT_TRUE(lintConfig(*load(withAdmin(loopback))).empty()) << loopback;
  EXPECT_TRUE(lintConfig(*load(minimalPlus(""))).empty());
}

TEST(KeyOrigins, KeepTopLevelKeysAndTheKeysOfTopLevelMaps) {
  auto config = load(minimalPlus("log:\n  level: warn\n  access: \"off\"\n"));
  EXPECT_EQ(config->key_origins.at("listeners"), "gatehouse.yaml:1:1");
  EXPECT_EQ(config->key_origins.at("backends.app"), "gatehouse.yaml:4:3");
  EXPECT_EQ(config->key_origins.at("log.access"), "gatehouse.yaml:11:3");
  EXPECT_EQ(config->key_origins.count("workers"), 0u);
}

}  // namespace
}  // namespace gatehouse::config
