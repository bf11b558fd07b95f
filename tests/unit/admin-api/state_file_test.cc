// StateFile: missing and corrupt files on open, sections kept across writes, atomic replacement
// (no temporary left behind, the old file intact when a write fails).
#include "admin-api/state_file.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gatehouse::admin {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed at the end.
class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::path(::testing::TempDir()) / ("gh_state_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, ignored);
    fs::remove_all(dir_, ignored);
  }
  std::string path() const { return (dir_ / "state.json").string(); }
  void writeRaw(std::string_view text) const { std::ofstream(path(), std::ios::binary) << text; }
  std::string readRaw() const {
    std::ifstream in(path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }

  fs::path dir_;
};

TEST_F(StateFileTest, AMissingFileIsAnEmptyDocumentAndIsNotCreatedByOpening) {
  auto state = StateFile::open(path());
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->section("read_only"), nullptr);
  EXPECT_FALSE(fs::exists(path()));
}

TEST_F(StateFileTest, WritesASectionAndReadsItBack) {
  auto state = StateFile::open(path());
  ASSERT_TRUE(state);
  auto written = state->writeSection("read_only", {{"enabled", true}, {"reason", "db"}});
  ASSERT_TRUE(written) << written.error().message;
  ASSERT_NE(state->section("read_only"), nullptr);
  EXPECT_EQ((*state->section("read_only"))["reason"], "db");

  auto again = StateFile::open(path());
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_NE(again->section("read_only"), nullptr);
  EXPECT_EQ(*again->section("read_only"), nlohmann::json({{"enabled", true}, {"reason", "db"}}));
  // Readable by people: one key per line.
  EXPECT_NE(readRaw().find("\n  \"read_only\": {\n"), std::string::npos) << readRaw();
}

TEST_F(StateFileTest, ReplacingOneSectionKeepsTheOthers) {
  auto state = StateFile::open(path());
  ASSERT_TRUE(state);
  ASSERT_TRUE(state->writeSection("backends", {{"app/app1", "drain"}}));
  ASSERT_TRUE(state->writeSection("read_only", {{"enabled", true}}));
  ASSERT_TRUE(state->writeSection("read_only", {{"enabled", false}}));
  auto again = StateFile::open(path());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->section("backends"), nlohmann::json({{"app/app1", "drain"}}));
  EXPECT_EQ(*again->section("read_only"), nlohmann::json({{"enabled", false}}));
}

TEST_F(StateFileTest, KeepsSectionsItDoesNotKnowFromTheFile) {
  writeRaw(R"({"future_module": {"x": [1, 2]}})");
  auto state = StateFile::open(path());
  ASSERT_TRUE(state) << state.error().message;
  ASSERT_TRUE(state->writeSection("read_only", {{"enabled", true}}));
  auto again = StateFile::open(path());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->section("future_module"), nlohmann::json({{"x", {1, 2}}}));
}

TEST_F(StateFileTest, LeavesNoTemporaryFileBehind) {
  auto state = StateFile::open(path());
  ASSERT_TRUE(state);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(state->writeSection("n", i));
  EXPECT_EQ(entries(), 1u);
}

TEST_F(StateFileTest, ReportsACorruptFileSayingWhy) {
  struct Case {
    std::string_view content;
    std::string_view why;
  };
  for (const Case& c :
       {Case{"", "the file is empty"}, Case{"{\"read_only\": {\"enab", "not valid JSON"},
        Case{"[1, 2]", "not a JSON object of sections"},
        Case{"\"text\"", "not a JSON object of sections"}, Case{"{} {}", "not valid JSON"},
        Case{std::string_view("\x00\x01", 2), "not valid JSON"}}) {
    writeRaw(c.content);
    auto state = StateFile::open(path());
    ASSERT_FALSE(state) << c.content;
    EXPECT_EQ(state.error().message, path() + ": " + std::string(c.why)) << c.content;
  }
}

TEST_F(StateFileTest, ReportsAFileThatCannotBeReadOrIsNotAFile) {
  fs::create_directories(path());
  auto state = StateFile::open(path());
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().message, path() + ": cannot read: not a regular file");
}

TEST_F(StateFileTest, AnEmptyDocumentReplacesACorruptFileOnItsFirstWrite) {
  writeRaw("garbage");
  ASSERT_FALSE(StateFile::open(path()));
  StateFile state = StateFile::empty(path());
  EXPECT_EQ(state.section("read_only"), nullptr);
  ASSERT_TRUE(state.writeSection("read_only", {{"enabled", true}}));
  auto again = StateFile::open(path());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again->section("read_only"), nlohmann::json({{"enabled", true}}));
}

TEST_F(StateFileTest, AWriteIntoAMissingDirectoryFailsAndChangesNothing) {
  auto state = StateFile::open((dir_ / "gone" / "state.json").string());
  ASSERT_TRUE(state);
  auto written = state->writeSection("read_only", {{"enabled", true}});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "cannot write state file " +
                                         (dir_ / "gone" / "state.json").string() +
                                         ": create a temporary file in " +
                                         (dir_ / "gone").string() + ": No such file or directory");
  EXPECT_EQ(state->section("read_only"), nullptr);
}

TEST_F(StateFileTest, AWriteWhereTheDirectoryIsAFileFailsAndKeepsTheOldFile) {
  // root writes through permission bits, so an unwritable directory cannot be made by chmod
  // there; a path whose "directory" is a regular file is unwritable for everyone.
  writeRaw("{\"read_only\": {\"enabled\": true}}");
  const std::string inner = (dir_ / "state.json" / "inner.json").string();
  auto unreadable = StateFile::open(inner);
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().message, inner + ": cannot read: Not a directory");
  StateFile blocked = StateFile::empty(inner);
  auto written = blocked.writeSection("read_only", {{"enabled", false}});
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("Not a directory"), std::string::npos)
      << written.error().message;
  EXPECT_EQ(readRaw(), "{\"read_only\": {\"enabled\": true}}");
}

TEST_F(StateFileTest, AWriteIntoADirectoryWithoutWritePermissionFailsAndKeepsTheOldFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  writeRaw("{\"read_only\": {\"enabled\": true}}");
  auto state = StateFile::open(path());
  ASSERT_TRUE(state);
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  auto refused = state->writeSection("read_only", {{"enabled", false}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("Permission denied"), std::string::npos);
  EXPECT_EQ(*state->section("read_only"), nlohmann::json({{"enabled", true}}));
  EXPECT_EQ(readRaw(), "{\"read_only\": {\"enabled\": true}}");
}

}  // namespace
}  // namespace gatehouse::admin
