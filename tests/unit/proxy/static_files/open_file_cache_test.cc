// The per-worker open-file cache: hits cost no open, a site generation change reopens, small
// files are held in memory, siblings are found, symlink escapes are reported.
#include "proxy/static_files/open_file_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "proxy/static_files/static_counters.h"
#include "tests/support/temp_tree.h"

namespace gatehouse::static_files {
namespace {

using testing::TempTree;

class OpenFileCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.write("secret", "s");
    tree.write("root/small.css", "small");
    tree.write("root/small.css.br", "br!");
    tree.write("root/big.bin", std::string(OpenFileCache::kInlineMax + 1, 'b'));
    ::symlink(tree.at("secret").c_str(), tree.at("root/out").c_str());
    config.prefix = "/s/";
    config.root = tree.at("root");
    auto created = StaticSite::create(config);
    ASSERT_TRUE(created) << created.error().message;
    site = std::move(*created);
  }
  TempTree tree;
  config::StaticConfig config;
  std::shared_ptr<StaticSite> site;
};

TEST_F(OpenFileCacheTest, ASecondLookupIsAHit) {
  OpenFileCache cache(site);
  const uint64_t misses = countOf(Decision::OpenFileCacheMiss);
  Lookup a = cache.live("small.css");
  Lookup b = cache.live("small.css");
  ASSERT_TRUE(a.file);
  EXPECT_EQ(a.file, b.file);
  EXPECT_EQ(countOf(Decision::OpenFileCacheMiss), misses + 1);
}

TEST_F(OpenFileCacheTest, SmallFilesAreInlinedBigOnesGoBySegment) {
  OpenFileCache cache(site);
  Lookup small = cache.live("small.css");
  ASSERT_TRUE(small.file);
  EXPECT_TRUE(small.file->inlined);
  EXPECT_EQ(small.file->content, "small");
  EXPECT_EQ(small.file->fd, -1) << "no descriptor is kept for an inlined file";
  ASSERT_TRUE(small.file->br);
  EXPECT_EQ(small.file->br->content, "br!");
  EXPECT_FALSE(small.file->gz);
  Lookup big = cache.live("big.bin");
  ASSERT_TRUE(big.file);
  EXPECT_FALSE(big.file->inlined);
  EXPECT_NE(big.file->segment, nullptr);
  EXPECT_GE(big.file->fd, 0);
}

TEST_F(OpenFileCacheTest, AChangeSeenByTheWatcherReopens) {
  ASSERT_TRUE(site->watching());
  OpenFileCache cache(site);
  Lookup before = cache.live("small.css");
  ASSERT_EQ(before.file->content, "small");
  tree.write("root/small.css", "changed");
  // The watcher moves the generation (at the first event and once the burst settles); poll the
  // observable result with a deadline.
  std::string now;
  for (int i = 0; i < 500; ++i) {
    now = cache.live("small.css").file->content;
    if (now == "changed") break;
    ::usleep(10 * 1000);
  }
  EXPECT_EQ(now, "changed");
  EXPECT_EQ(before.file->content, "small") << "an open file in use is never changed";
}

TEST_F(OpenFileCacheTest, ReportsEscapesAndMissingFiles) {
  OpenFileCache cache(site);
  EXPECT_EQ(cache.live("out").outcome, OpenOutcome::SymlinkEscape);
  EXPECT_EQ(cache.live("missing").outcome, OpenOutcome::NotFound);
  EXPECT_FALSE(cache.live("missing").file);
}

}  // namespace
}  // namespace gatehouse::static_files
