// `state_file:` golden errors: the path must name a file in a directory that exists.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;  // the appended text starts on line 9

TEST(StateFile, IsNoneWithoutTheKey) {
  EXPECT_EQ(load(testing::kMinimalConfig)->state_file, "");
}

TEST(StateFile, AcceptsAFileThatDoesNotExistYetInADirectoryThatDoes) {
  std::string path = ::testing::TempDir() + "gh_state_not_yet.json";
  std::remove(path.c_str());
  EXPECT_EQ(load(minimalPlus(fmt::format("state_file: {}\n", path)))->state_file, path);
  std::ofstream(path) << "{}\n";
  EXPECT_EQ(load(minimalPlus(fmt::format("state_file: {}\n", path)))->state_file, path);
  EXPECT_EQ(load(minimalPlus("state_file: state.json\n"))->state_file, "state.json");
}

TEST(StateFile, RejectsAMissingDirectory) {
  EXPECT_EQ(errorsOf(minimalPlus("state_file: /nonexistent/gatehouse/state.json\n")),
            "gatehouse.yaml:9:13: state_file: directory \"/nonexistent/gatehouse\": No such file "
            "or directory");
}

TEST(StateFile, RejectsADirectoryOrAFileAsTheDirectory) {
  std::string dir = ::testing::TempDir();
  if (dir.back() == '/') dir.pop_back();
  EXPECT_EQ(errorsOf(minimalPlus(fmt::format("state_file: {}\n", dir))),
            fmt::format("gatehouse.yaml:9:13: state_file: \"{}\" is not a regular file", dir));
  EXPECT_EQ(errorsOf(minimalPlus(fmt::format("state_file: {}/\n", dir))),
            "gatehouse.yaml:9:13: state_file: must name a file, not a directory");
  std::string file = ::testing::TempDir() + "gh_state_plain_file";
  std::ofstream(file) << "x";
  EXPECT_EQ(errorsOf(minimalPlus(fmt::format("state_file: {}/state.json\n", file))),
            fmt::format("gatehouse.yaml:9:13: state_file: \"{}\" is not a directory", file));
}

TEST(StateFile, RejectsAnEmptyValueOrAMap) {
  EXPECT_EQ(errorsOf(minimalPlus("state_file:\n")).substr(0, 32),
            "gatehouse.yaml:9:1: state_file: ");
  EXPECT_NE(errorsOf(minimalPlus("state_file: {}\n")), "OK");
}

}  // namespace
}  // namespace gatehouse::config
