// Hashes, hashed names and the manifest.
#include "proxy/static_files/asset_versions.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_tree.h"

namespace gatehouse::static_files {
namespace {

using testing::TempTree;

TEST(AssetVersions, HashIsTheStartOfTheSha256) {
  // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
  EXPECT_EQ(hashBytes("abc"), "ba7816bf8f01cfea");
  TempTree tree;
  tree.write("f", "abc");
  int fd = ::open(tree.at("f").c_str(), O_RDONLY);
  auto h = hashFile(fd);
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, "ba7816bf8f01cfea");
  ::close(fd);
}

TEST(AssetVersions, HashFileCopiesWhatItHashes) {
  TempTree tree;
  std::string big(300 * 1024, 'x');
  big[12345] = 'y';
  tree.write("big", big);
  int in = ::open(tree.at("big").c_str(), O_RDONLY);
  int out = ::open(tree.at("copy").c_str(), O_WRONLY | O_CREAT, 0644);
  auto h = hashFile(in, out);
  ::close(in);
  ::close(out);
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, hashBytes(big));
  EXPECT_EQ(tree.read("copy"), big);
}

TEST(AssetVersions, HashedNames) {
  const std::string h = "0123456789abcdef";
  EXPECT_EQ(hashedName("css/app.css", h), "css/app.0123456789abcdef.css");
  EXPECT_EQ(hashedName("lib.min.js", h), "lib.min.0123456789abcdef.js");
  EXPECT_EQ(hashedName("LICENSE", h), "LICENSE.0123456789abcdef");
  EXPECT_EQ(hashedName("a.b/LICENSE", h), "a.b/LICENSE.0123456789abcdef");
}

TEST(AssetVersions, ParseIsTheInverse) {
  const std::string h = "0123456789abcdef";
  for (auto plain : {"css/app.css", "lib.min.js", "LICENSE", "a.b/LICENSE", "x.tar.gz"}) {
    auto parsed = parseHashedName(hashedName(plain, h));
    ASSERT_TRUE(parsed) << plain;
    EXPECT_EQ(parsed->plain, plain);
    EXPECT_EQ(parsed->hash, h);
  }
}

TEST(AssetVersions, ParseRejectsNamesWithoutAHash) {
  for (auto name : {"app.css", "app.0123456789ABCDEF.css", "app.0123456789abcde.css",
                    "app.0123456789abcdefa.css", ".0123456789abcdef", "a/.0123456789abcdef.css",
                    "app.0123456789abcdeg.css"})
    EXPECT_FALSE(parseHashedName(name)) << name;
}

TEST(AssetVersions, ManifestIsSortedJson) {
  std::map<std::string, std::string> m = {{"b.js", "1111111111111111"},
                                          {"a/x.css", "2222222222222222"}};
  EXPECT_EQ(manifestJson(m, "/static/"),
            "{\n  \"a/x.css\": \"/static/a/x.2222222222222222.css\",\n"
            "  \"b.js\": \"/static/b.1111111111111111.js\"\n}\n");
  EXPECT_EQ(manifestJson({}, ""), "{}\n");
}

TEST(AssetVersions, ScanSkipsDotfilesSiblingsAndEscapingSymlinks) {
  TempTree tree;
  tree.write("secret", "s");
  tree.write("root/a.css", "a");
  tree.write("root/a.css.br", "compressed");
  tree.write("root/lonely.gz", "a real gzip file, no plain sibling");
  tree.write("root/.env", "s");
  tree.write("root/.git/config", "s");
  tree.write("root/sub/b.js", "b");
  ::symlink(tree.at("secret").c_str(), tree.at("root/out").c_str());
  ::symlink("a.css", tree.at("root/in.css").c_str());
  auto files = scanTree(tree.at("root"), false, false);
  ASSERT_TRUE(files);
  std::vector<std::string> names;
  for (const auto& f : *files)
    names.push_back(f.relative);
  EXPECT_EQ(names, (std::vector<std::string>{"a.css", "in.css", "lonely.gz", "sub/b.js"}));
  EXPECT_EQ((*files)[0].hash, hashBytes("a"));
  EXPECT_FALSE(scanTree(tree.at("nope"), false, false));
}

}  // namespace
}  // namespace gatehouse::static_files
