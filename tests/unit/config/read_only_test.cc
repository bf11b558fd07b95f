// `read_only:` defaults, the page read at load time, allowed prefixes, golden errors.
#include <fmt/format.h>
#include <gtest/gtest.h>

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

TEST(ReadOnly, HasDefaultsWithoutTheSection) {
  const ReadOnlyConfig& r = load(testing::kMinimalConfig)->read_only;
  EXPECT_EQ(r.retry_after.count(), 300000);
  EXPECT_EQ(r.page, "");
  EXPECT_TRUE(r.allow.empty());
  EXPECT_EQ(r.min_ttl.count(), 60000);
  EXPECT_FALSE(r.default_enabled);
}

TEST(ReadOnly, ReadsEveryKeyAndThePageAtLoadTime) {
  std::string page = fileWith("gh_read_only.html", "<h1>Back soon</h1>\n");
  auto c = load(minimalPlus(fmt::format(R"(read_only:
  retry_after: 120s
  page: {}
  allow: [/api/webhooks/, /login]
  min_ttl: 10m
  default: true
)",
                                        page)));
  const ReadOnlyConfig& r = c->read_only;
  EXPECT_EQ(r.retry_after.count(), 120000);
  EXPECT_EQ(r.page_file, page);
  EXPECT_EQ(r.page, "<h1>Back soon</h1>\n");
  EXPECT_EQ(r.allow, (std::vector<std::string>{"/api/webhooks/", "/login"}));
  EXPECT_EQ(r.min_ttl.count(), 600000);
  EXPECT_TRUE(r.default_enabled);
}

TEST(ReadOnly, RejectsAPageThatCannotBeReadOrIsEmpty) {
  EXPECT_EQ(errorsOf(minimalPlus("read_only: { page: /nonexistent/ro.html }\n")),
            "gatehouse.yaml:9:20: read_only.page: cannot read \"/nonexistent/ro.html\": No such "
            "file or directory");
  std::string dir = ::testing::TempDir();
  EXPECT_EQ(errorsOf(minimalPlus(fmt::format("read_only: {{ page: {} }}\n", dir))),
            fmt::format("gatehouse.yaml:9:20: read_only.page: cannot read \"{}\": not a regular "
                        "file",
                        dir));
  std::string empty = fileWith("gh_read_only_empty.html", "");
  EXPECT_EQ(errorsOf(minimalPlus(fmt::format("read_only: {{ page: {} }}\n", empty))),
            fmt::format("gatehouse.yaml:9:20: read_only.page: \"{}\" is empty", empty));
}

TEST(ReadOnly, RejectsBadAllowPrefixes) {
  EXPECT_EQ(errorsOf(minimalPlus("read_only:\n  allow: [api/, \"/a b\", /ok, \"/x?y\"]\n")),
            "gatehouse.yaml:10:11: read_only.allow[0]: must start with \"/\", got \"api/\"\n"
            "gatehouse.yaml:10:17: read_only.allow[1]: bad path prefix \"/a b\": only a URL path, "
            "without spaces, '?' or '#'\n"
            "gatehouse.yaml:10:30: read_only.allow[3]: bad path prefix \"/x?y\": only a URL path, "
            "without spaces, '?' or '#'");
  EXPECT_EQ(errorsOf(minimalPlus("read_only:\n  allow: /api/\n")),
            "gatehouse.yaml:10:10: read_only.allow: expected a list, got \"/api/\"");
}

TEST(ReadOnly, RejectsRetryAfterThatIsNotWholeSeconds) {
  for (std::string bad : {"0s", "1500ms", "500ms"}) {
    EXPECT_EQ(errorsOf(minimalPlus("read_only: { retry_after: " + bad + " }\n")),
              "gatehouse.yaml:9:27: read_only.retry_after: must be whole seconds, at least 1s")
        << bad;
  }
  EXPECT_EQ(
      load(minimalPlus("read_only: { retry_after: 2000ms }\n"))->read_only.retry_after.count(),
      2000);
}

TEST(ReadOnly, RejectsUnknownKeysAndBadTypes) {
  EXPECT_EQ(errorsOf(minimalPlus("read_only:\n  default: yes\n  min_ttl: 5\n  pages: x\n")),
            "gatehouse.yaml:10:12: read_only.default: expected true or false, got \"yes\"\n"
            "gatehouse.yaml:11:12: read_only.min_ttl: bad duration \"5\": needs a unit (ms, s, m "
            "or h)\n"
            "gatehouse.yaml:12:3: read_only.pages: unknown key (did you mean \"page\"?)");
}

}  // namespace
}  // namespace gatehouse::config
