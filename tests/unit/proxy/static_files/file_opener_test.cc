// openBeneath(): nothing outside the root, whatever symlinks say.
#include "proxy/static_files/file_opener.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/temp_tree.h"

namespace gatehouse::static_files {
namespace {

using testing::TempTree;

class FileOpener : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.write("secret", "s");
    tree.write("root/a.txt", "a");
    ::symlink(tree.at("secret").c_str(), tree.at("root/abs-out").c_str());
    ::symlink("../secret", tree.at("root/rel-out").c_str());
    ::symlink("a.txt", tree.at("root/in").c_str());
    ::symlink(tree.path().c_str(), tree.at("root/dir-out").c_str());
    ::mkfifo(tree.at("root/fifo").c_str(), 0644);
    tree.write("root/sub/b.txt", "b");
    ::symlink("../..", tree.at("root/sub/dir-up").c_str());
  }
  OpenOutcome open(std::string_view rel, bool allow_symlinks = false) {
    return openBeneath(tree.at("root"), rel, allow_symlinks).outcome;
  }
  OpenOutcome walk(std::string_view rel) {
    return openBeneath(tree.at("root"), rel, false, BeneathResolver::Walk).outcome;
  }
  TempTree tree;
};

TEST_F(FileOpener, OpensFilesAndFolders) {
  OpenedFile f = openBeneath(tree.at("root"), "a.txt", false);
  ASSERT_EQ(f.outcome, OpenOutcome::Opened);
  EXPECT_TRUE(S_ISREG(f.st.st_mode));
  EXPECT_EQ(f.st.st_size, 1);
  OpenedFile root = openBeneath(tree.at("root"), "", false);
  ASSERT_EQ(root.outcome, OpenOutcome::Opened);
  EXPECT_TRUE(S_ISDIR(root.st.st_mode));
  EXPECT_EQ(open("missing"), OpenOutcome::NotFound);
}

TEST_F(FileOpener, SymlinksInsideAreFollowed) {
  EXPECT_EQ(open("in"), OpenOutcome::Opened);
}

TEST_F(FileOpener, SymlinksOutAreRefusedUnlessAllowed) {
  for (auto rel : {"abs-out", "rel-out", "dir-out/secret", "dir-out/root/a.txt"})
    EXPECT_EQ(open(rel), OpenOutcome::SymlinkEscape) << rel;
  EXPECT_EQ(open("abs-out", true), OpenOutcome::Opened);
}

// Issue 14: without openat2 (kernels before 5.6) the fallback opened the whole path with
// O_NOFOLLOW, which checks only its last component: "dir-out/secret" went through a symlinked
// folder to a file outside the root.
TEST_F(FileOpener, WithoutOpenat2ASymlinkedFolderCannotLeadOutOfTheRoot) {
  for (auto rel : {"abs-out", "rel-out", "dir-out/secret", "dir-out/root/a.txt", "../secret",
                   "sub/../../secret", "sub/dir-up/secret"})
    EXPECT_EQ(walk(rel), OpenOutcome::SymlinkEscape) << rel;
}

TEST_F(FileOpener, WithoutOpenat2FilesAndFoldersInsideStillOpen) {
  EXPECT_EQ(walk("a.txt"), OpenOutcome::Opened);
  EXPECT_EQ(walk("sub/b.txt"), OpenOutcome::Opened);
  EXPECT_EQ(walk("./sub//b.txt"), OpenOutcome::Opened);
  EXPECT_EQ(walk("sub"), OpenOutcome::Opened);
  EXPECT_EQ(walk(""), OpenOutcome::Opened);
  EXPECT_EQ(walk("missing"), OpenOutcome::NotFound);
  EXPECT_EQ(walk("sub/missing/x"), OpenOutcome::NotFound);
  EXPECT_EQ(walk("a.txt/x"), OpenOutcome::NotFound);
  EXPECT_EQ(walk("fifo"), OpenOutcome::NotRegular);
  // Stricter than openat2: a symlink that stays inside is refused as well.
  EXPECT_EQ(walk("in"), OpenOutcome::SymlinkEscape);
}

TEST_F(FileOpener, DotDotIsRefusedEvenIfTheResolverMissedIt) {
  EXPECT_EQ(open("../secret"), OpenOutcome::SymlinkEscape);
}

TEST_F(FileOpener, AFifoIsNotRegularAndDoesNotBlock) {
  EXPECT_EQ(open("fifo"), OpenOutcome::NotRegular);
}

}  // namespace
}  // namespace gatehouse::static_files
