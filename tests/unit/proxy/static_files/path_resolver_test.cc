// The URL -> relative path rules: every traversal trick of issue 7 is refused with its counter.
#include "proxy/static_files/path_resolver.h"

#include <gtest/gtest.h>

namespace gatehouse::static_files {
namespace {

Refusal refusalOf(std::string_view path, PathRules rules = {}) {
  auto r = resolvePath(path, rules);
  EXPECT_TRUE(std::holds_alternative<Refusal>(r)) << path;
  return std::holds_alternative<Refusal>(r) ? std::get<Refusal>(r) : Refusal{0, Decision::Served};
}

std::string relativeOf(std::string_view path, PathRules rules = {}) {
  auto r = resolvePath(path, rules);
  EXPECT_TRUE(std::holds_alternative<ResolvedPath>(r)) << path;
  return std::holds_alternative<ResolvedPath>(r) ? std::get<ResolvedPath>(r).relative : "?";
}

TEST(PathResolver, DecodesAndJoinsSegments) {
  EXPECT_EQ(relativeOf("css/app.css"), "css/app.css");
  EXPECT_EQ(relativeOf("a%20b/c%2Bd.txt"), "a b/c+d.txt");
  EXPECT_EQ(relativeOf("a//b///c"), "a/b/c");
  EXPECT_EQ(relativeOf(""), "");
  EXPECT_EQ(relativeOf("caf%C3%A9.txt"), "caf\xC3\xA9.txt");
  EXPECT_EQ(relativeOf("app..css"), "app..css");  // dots inside a name are fine
  auto folder = std::get<ResolvedPath>(resolvePath("docs/", {}));
  EXPECT_TRUE(folder.trailing_slash);
  EXPECT_EQ(folder.relative, "docs");
}

TEST(PathResolver, RefusesDotSegmentsRawOrEncoded) {
  for (auto p : {"../secret", "a/../../secret", "..", ".", "a/./b", "%2e%2e/secret",
                 "%2E%2E/secret", ".%2e/x", "%2e/x", "a/%2e%2e"}) {
    Refusal r = refusalOf(p);
    EXPECT_EQ(r.status, 400) << p;
    EXPECT_EQ(r.reason, Decision::RefusedTraversal) << p;
  }
}

TEST(PathResolver, RefusesEncodedSlashesAndBackslashes) {
  EXPECT_EQ(refusalOf("..%2fsecret").reason, Decision::RefusedEncodedSlash);
  EXPECT_EQ(refusalOf("a%2Fb").reason, Decision::RefusedEncodedSlash);
  EXPECT_EQ(refusalOf("..%5csecret").reason, Decision::RefusedEncodedSlash);
  EXPECT_EQ(refusalOf("..\\secret").reason, Decision::RefusedBackslash);
}

TEST(PathResolver, RefusesDoubleEncodingAndBadEscapes) {
  for (auto p : {"%252e%252e/secret", "%25", "%zz", "%2", "abc%", "%g0"})
    EXPECT_EQ(refusalOf(p).reason, Decision::RefusedBadEncoding) << p;
}

TEST(PathResolver, RefusesNulAndControlCharacters) {
  for (auto p : {"a%00.txt", "%00", "a%0d%0aSet-Cookie", "a%7f", "a\tb"})
    EXPECT_EQ(refusalOf(p).reason, Decision::RefusedNul) << p;
}

TEST(PathResolver, RefusesInvalidAndOverlongUtf8) {
  for (auto p : {"%c0%ae%c0%ae/secret", "%c0%af", "%e0%80%ae", "%f0%80%80%ae", "%ed%a0%80", "%ff",
                 "%80", "%c3", "%f4%90%80%80"})
    EXPECT_EQ(refusalOf(p).reason, Decision::RefusedBadEncoding) << p;
}

TEST(PathResolver, RefusesDotfilesWith404UnlessAllowed) {
  for (auto p : {".env", "a/.git/config", ".well-known/x", "%2eenv"}) {
    Refusal r = refusalOf(p);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.reason, Decision::RefusedDotfile) << p;
  }
  EXPECT_EQ(relativeOf(".well-known/x", {.allow_dotfiles = true}), ".well-known/x");
  EXPECT_EQ(refusalOf("..", {.allow_dotfiles = true}).reason, Decision::RefusedTraversal);
}

TEST(PathResolver, Utf8Validation) {
  EXPECT_TRUE(isValidUtf8("plain"));
  EXPECT_TRUE(isValidUtf8("\xE2\x82\xAC"));       // U+20AC
  EXPECT_TRUE(isValidUtf8("\xF0\x9F\x98\x80"));   // U+1F600
  EXPECT_FALSE(isValidUtf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace gatehouse::static_files
