// Read-only mode in the state file: what is written, and what start-up restores from it (or
// from read_only.default when the file has nothing usable).
#include "admin-api/read_only_persistence.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "admin-api/time_format.h"

namespace gatehouse::admin {
namespace {

namespace fs = std::filesystem;

class ReadOnlyPersistenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("gh_ro_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "state.json").string(); }

  StateFile withSection(const nlohmann::json& section) {
    StateFile state = StateFile::empty(path());
    EXPECT_TRUE(state.writeSection(kReadOnlySection, section));
    auto reopened = StateFile::open(path());
    EXPECT_TRUE(reopened);
    return std::move(*reopened);
  }

  fs::path dir_;
  config::ReadOnlyConfig settings_;
  gate::ReadOnlyState state_;
};

TEST_F(ReadOnlyPersistenceTest, WritesWhatRestoreReadsBack) {
  const auto since = *parseRfc3339("2026-11-25T04:50:00Z");
  state_.set(true, "db migration", since);
  StateFile file = withSection(readOnlySection(state_.view()));
  EXPECT_EQ(*file.section(kReadOnlySection), nlohmann::json({{"enabled", true},
                                                             {"reason", "db migration"},
                                                             {"message", ""},
                                                             {"since", "2026-11-25T04:50:00Z"}}));
  gate::ReadOnlyState restored;
  restoreReadOnly(&file, "", settings_, restored);
  EXPECT_TRUE(restored.enabled());
  EXPECT_EQ(restored.view().reason, "db migration");
  EXPECT_EQ(restored.view().since, since);
}

TEST_F(ReadOnlyPersistenceTest, RestoresOffAsOffEvenWhenTheDefaultIsOn) {
  settings_.default_enabled = true;
  StateFile file = withSection({{"enabled", false}, {"reason", ""}, {"since", nullptr}});
  restoreReadOnly(&file, "", settings_, state_);
  EXPECT_FALSE(state_.enabled());
}

TEST_F(ReadOnlyPersistenceTest, UsesTheDefaultWithoutAUsableSection) {
  for (bool on : {true, false}) {
    settings_.default_enabled = on;
    gate::ReadOnlyState none, empty_file, corrupt, bad_section;
    restoreReadOnly(nullptr, "", settings_, none);
    EXPECT_EQ(none.enabled(), on);
    StateFile fresh = StateFile::empty(path());
    restoreReadOnly(&fresh, "", settings_, empty_file);
    EXPECT_EQ(empty_file.enabled(), on);
    restoreReadOnly(nullptr, "state.json: not valid JSON", settings_, corrupt);
    EXPECT_EQ(corrupt.enabled(), on);
    StateFile odd = withSection({{"enabled", "yes"}});
    restoreReadOnly(&odd, "", settings_, bad_section);
    EXPECT_EQ(bad_section.enabled(), on);
    EXPECT_EQ(none.view().reason, on ? "read_only.default" : "");
  }
}

TEST_F(ReadOnlyPersistenceTest, AnUnreadableSinceIsLeftUnknown) {
  StateFile file = withSection({{"enabled", true}, {"since", "yesterday"}});
  restoreReadOnly(&file, "", settings_, state_);
  EXPECT_TRUE(state_.enabled());
  EXPECT_FALSE(state_.view().since);
}

TEST(TimeFormat, ParsesWhatItWritesAndNothingElse) {
  const auto t = std::chrono::system_clock::from_time_t(1764046200);
  EXPECT_EQ(rfc3339(t), "2025-11-25T04:50:00Z");
  EXPECT_EQ(parseRfc3339(rfc3339(t)), t);
  for (std::string_view bad : {"", "2025-11-25T04:50:00", "2025-11-25 04:50:00Z",
                               "2025-13-25T04:50:00Z", "2025-11-25T04:50:00+01:00", "yesterday"})
    EXPECT_FALSE(parseRfc3339(bad)) << bad;
}

}  // namespace
}  // namespace gatehouse::admin
