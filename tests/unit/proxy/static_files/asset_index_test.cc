// The version index: rescans hash only what changed, keep copies, and the sweep.
#include "proxy/static_files/asset_index.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "proxy/static_files/asset_versions.h"
#include "tests/support/temp_tree.h"

namespace gatehouse::static_files {
namespace {

using testing::TempTree;

class AssetIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config.prefix = "/s/";
    config.root = tree.at("root");
    config.versioned = true;
    config.keep_versions = std::chrono::hours(1);
    config.versions_dir = tree.at("versions");
    std::filesystem::create_directories(config.versions_dir);
    tree.write("root/css/app.css", "v1");
  }
  // Bumps the file's mtime a second back so a rewrite within the same tick still differs.
  void rewrite(std::string_view rel, std::string_view data) {
    tree.write(std::string("root/") + std::string(rel), data);
  }
  TempTree tree;
  config::StaticConfig config;
};

TEST_F(AssetIndexTest, RescanHashesAndCopiesEachVersion) {
  AssetIndex index(config);
  auto changed = index.rescan();
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 1u);
  auto v = index.current("css/app.css");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->hash, hashBytes("v1"));
  EXPECT_EQ(tree.read("versions/css/app." + v->hash + ".css"), "v1");
  EXPECT_NE(index.manifest()->find("/s/css/app." + v->hash + ".css"), std::string::npos);
  EXPECT_EQ(*index.rescan(), 0u);  // nothing changed: nothing hashed again
}

TEST_F(AssetIndexTest, ChangedFilesKeepTheirOldCopy) {
  AssetIndex index(config);
  ASSERT_TRUE(index.rescan());
  const std::string old_hash = index.current("css/app.css")->hash;
  rewrite("css/app.css", "version two");
  tree.write("root/new.js", "n");
  auto changed = index.rescan();
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 2u);
  EXPECT_EQ(index.current("css/app.css")->hash, hashBytes("version two"));
  EXPECT_EQ(tree.read("versions/css/app." + old_hash + ".css"), "v1");
  std::filesystem::remove(tree.at("root/new.js"));
  ASSERT_TRUE(index.rescan());
  EXPECT_FALSE(index.current("new.js"));
}

TEST_F(AssetIndexTest, SweepDeletesOnlyOldCopiesPastKeepVersions) {
  AssetIndex index(config);
  ASSERT_TRUE(index.rescan());
  const std::string old_hash = index.current("css/app.css")->hash;
  rewrite("css/app.css", "v2");
  ASSERT_TRUE(index.rescan());
  const std::string new_hash = index.current("css/app.css")->hash;
  const std::time_t now = std::time(nullptr);
  EXPECT_EQ(index.sweep(now), 0u);  // superseded just now: kept
  // One second of slack: a file's timestamp comes from a finer clock than time(2) and can be a
  // second ahead of it at a second's boundary (it failed about once in 300 runs).
  EXPECT_EQ(index.sweep(now + 3602), 1u);
  EXPECT_FALSE(std::filesystem::exists(tree.at("versions/css/app." + old_hash + ".css")));
  EXPECT_TRUE(std::filesystem::exists(tree.at("versions/css/app." + new_hash + ".css")));
}

TEST_F(AssetIndexTest, WithoutKeepVersionsNothingIsCopied) {
  config.keep_versions = Duration(0);
  AssetIndex index(config);
  ASSERT_TRUE(index.rescan());
  EXPECT_TRUE(index.current("css/app.css"));
  EXPECT_TRUE(std::filesystem::is_empty(config.versions_dir));
}

}  // namespace
}  // namespace gatehouse::static_files
