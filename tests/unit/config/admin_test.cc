// `admin:` golden errors, the token's sources, and loadAdminConfigFile() for `gatehouse ctl -c`.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;  // the appended text starts on line 9

std::string fileWith(const char* name, std::string_view content) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(Admin, IsOffWithoutTheSection) {
  EXPECT_FALSE(load(testing::kMinimalConfig)->admin);
}

TEST(Admin, ReadsTheTokenFileWithoutItsTrailingNewline) {
  std::string path = fileWith("gh_admin_token", "s3cret-token\r\n");
  auto c = load(minimalPlus(fmt::format("admin:\n  token_file: {}\n", path)));
  ASSERT_TRUE(c->admin);
  EXPECT_EQ(c->admin->address.text, "127.0.0.1:9901");
  EXPECT_EQ(c->admin->address.port, 9901);
  EXPECT_EQ(c->admin->token_file, path);
  EXPECT_EQ(c->admin->token, "s3cret-token");
}

TEST(Admin, ReadsTheTokenFromTheEnvironment) {
  ::setenv("GH_TEST_ADMIN_TOKEN", "from-env", 1);
  auto c =
      load(minimalPlus("admin: { address: \"[::1]:9000\", token_env: GH_TEST_ADMIN_TOKEN }\n"));
  ASSERT_TRUE(c->admin);
  EXPECT_EQ(c->admin->address.host, "::1");
  EXPECT_EQ(c->admin->token, "from-env");
  EXPECT_EQ(c->admin->token_env, "GH_TEST_ADMIN_TOKEN");
}

TEST(Admin, RequiresExactlyOneTokenSource) {
  EXPECT_EQ(errorsOf(minimalPlus("admin: {}\n")),
            "gatehouse.yaml:9:8: admin: one of token_file or token_env is required");
  EXPECT_EQ(errorsOf(minimalPlus("admin:\n")),
            "gatehouse.yaml:9:1: admin: one of token_file or token_env is required");
  std::string path = fileWith("gh_admin_token_both", "x\n");
  ::setenv("GH_TEST_ADMIN_TOKEN", "from-env", 1);
  EXPECT_EQ(errorsOf(minimalPlus(
                fmt::format("admin:\n  token_file: {}\n  token_env: GH_TEST_ADMIN_TOKEN\n", path))),
            "gatehouse.yaml:11:14: admin.token_env: use token_file or token_env, not both");
}

TEST(Admin, RejectsATokenFileThatCannotBeRead) {
  EXPECT_EQ(errorsOf(minimalPlus("admin: { token_file: /nonexistent/admin.token }\n")),
            "gatehouse.yaml:9:22: admin.token_file: cannot read \"/nonexistent/admin.token\": No "
            "such file or directory");
  std::string dir = ::testing::TempDir();
  EXPECT_EQ(errorsOf(minimalPlus(fmt::format("admin: {{ token_file: {} }}\n", dir))),
            fmt::format("gatehouse.yaml:9:22: admin.token_file: cannot read \"{}\": not a regular "
                        "file",
                        dir));
}

TEST(Admin, RejectsAnEmptyTokenOrOneThatCannotTravelInAHeader) {
  for (std::string_view content : {"", "\n", "\r\n\n"}) {
    std::string path = fileWith("gh_admin_token_empty", content);
    EXPECT_EQ(
        errorsOf(minimalPlus(fmt::format("admin: {{ token_file: {} }}\n", path))),
        fmt::format("gatehouse.yaml:9:22: admin.token_file: the token in \"{}\" is empty", path));
  }
  std::string path = fileWith("gh_admin_token_space", "two words\n");
  EXPECT_EQ(errorsOf(minimalPlus(fmt::format("admin: {{ token_file: {} }}\n", path))),
            fmt::format("gatehouse.yaml:9:22: admin.token_file: the token in \"{}\" must be one "
                        "line of visible ASCII characters (no spaces)",
                        path));
}

TEST(Admin, RejectsAnUnsetOrEmptyEnvironmentVariable) {
  ::unsetenv("GH_TEST_UNSET");
  EXPECT_EQ(errorsOf(minimalPlus("admin: { token_env: GH_TEST_UNSET }\n")),
            "gatehouse.yaml:9:21: admin.token_env: environment variable GH_TEST_UNSET is not set");
  ::setenv("GH_TEST_EMPTY", "", 1);
  EXPECT_EQ(errorsOf(minimalPlus("admin: { token_env: GH_TEST_EMPTY }\n")),
            "gatehouse.yaml:9:21: admin.token_env: the token in environment variable "
            "GH_TEST_EMPTY is empty");
}

TEST(Admin, RejectsBadAddressesUnknownKeysAndAListenersAddress) {
  ::setenv("GH_TEST_ADMIN_TOKEN", "t", 1);
  EXPECT_EQ(errorsOf(minimalPlus("admin:\n  address: 9901\n  token: x\n  token_env: "
                                 "GH_TEST_ADMIN_TOKEN\n")),
            "gatehouse.yaml:10:12: admin.address: missing port in \"9901\" (like 9901:8080)\n"
            "gatehouse.yaml:11:3: admin.token: unknown key");
  EXPECT_EQ(errorsOf(minimalPlus("admin: { address: 127.0.0.1:8080, tokenenv: X }\n")),
            "gatehouse.yaml:9:8: admin: one of token_file or token_env is required\n"
            "gatehouse.yaml:9:19: admin.address: the same address as listeners[0]\n"
            "gatehouse.yaml:9:35: admin.tokenenv: unknown key (did you mean \"token_env\"?)");
  EXPECT_EQ(errorsOf(minimalPlus("admin: { address: 127.0.0.1:8080, token_env: "
                                 "GH_TEST_ADMIN_TOKEN }\n")),
            "gatehouse.yaml:9:19: admin.address: the same address as listeners[0]");
  EXPECT_EQ(errorsOf(minimalPlus("admin: [127.0.0.1:9901]\n")),
            "gatehouse.yaml:9:8: admin: expected a map, got a list");
}

TEST(LoadAdminConfigFile, ReadsOnlyTheAdminSection) {
  std::string token = fileWith("gh_admin_token_ctl", "ctl-token\n");
  // The rest of the file is broken: `ctl -c` must still find the admin API.
  std::string path = fileWith("gh_ctl.yaml", fmt::format("listeners: 5\nadmin:\n  address: "
                                                         "127.0.0.1:9911\n  token_file: {}\n",
                                                         token));
  auto admin = loadAdminConfigFile(path);
  ASSERT_TRUE(admin) << admin.error().message;
  EXPECT_EQ(admin->address.port, 9911);
  EXPECT_EQ(admin->token, "ctl-token");
}

TEST(LoadAdminConfigFile, ReportsAMissingSectionAndBadOnes) {
  std::string none = fileWith("gh_ctl_none.yaml", "workers: 2\n");
  EXPECT_EQ(loadAdminConfigFile(none).error().message,
            none + ": no admin: section (the admin API is off)");
  std::string bad = fileWith("gh_ctl_bad.yaml", "workers: 2\nadmin: { address: x }\n");
  EXPECT_EQ(loadAdminConfigFile(bad).error().message,
            bad + ":2:8: admin: one of token_file or token_env is required\n" + bad +
                ":2:19: admin.address: missing port in \"x\" (like x:8080)");
  EXPECT_EQ(loadAdminConfigFile("/nonexistent.yaml").error().message,
            "/nonexistent.yaml: cannot read: No such file or directory");
}

}  // namespace
}  // namespace gatehouse::config
