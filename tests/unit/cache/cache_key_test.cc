#include "cache/cache_key.h"

#include <gtest/gtest.h>

namespace gatehouse::cache {
namespace {

http::RequestHead req(std::string scheme, std::string authority, std::string target) {
  http::RequestHead r;
  r.scheme = std::move(scheme);
  r.authority = std::move(authority);
  r.target = std::move(target);
  return r;
}

TEST(CacheKey, NormalisesSchemeHostPortAndEscapes) {
  EXPECT_EQ(primaryKey(req("https", "Example.COM:443", "/a/%7euser?q=%2f")),
            "https://example.com/a/~user?q=%2F");
  EXPECT_EQ(primaryKey(req("http", "example.com:80", "/")), "http://example.com/");
  EXPECT_EQ(primaryKey(req("http", "example.com:8080", "/")), "http://example.com:8080/");
  EXPECT_NE(primaryKey(req("http", "a", "/x?b=1&a=2")), primaryKey(req("http", "a", "/x?a=2&b=1")));
}

// Hosts are lowercased eight bytes a step: every length around the steps, every letter and its
// neighbours ('@', '[', '`', '{'), and bytes from 0x80 left alone.
TEST(CacheKey, LowercasesHostsOfEveryLengthByteForByte) {
  const std::string alphabet = "AZaz@[`{09.-\x80\xC3\xFF";
  for (size_t n = 1; n <= 40; ++n) {
    std::string host;
    for (size_t i = 0; i < n; ++i)
      host += alphabet[(i * 7 + n) % alphabet.size()];
    std::string lowered = host;
    for (char& c : lowered)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    EXPECT_EQ(primaryKey(req("http", host, "/")), "http://" + lowered + "/") << n;
  }
}

// The key written over a reused string equals the returned one, whatever it held before.
TEST(CacheKey, AKeyWrittenOverAnotherEqualsAFreshOne) {
  std::string key = "http://a-much-longer-key-left-from-an-earlier-request.example/x/y/z?q";
  primaryKeyInto(key, "HTTPS", "Example.COM:443", "/a/%7euser");
  EXPECT_EQ(key, "https://example.com/a/~user");
  primaryKeyInto(key, "http", "h", "x");
  EXPECT_EQ(key, primaryKey(req("http", "h", "x")));
}

TEST(CacheKey, UrlsForPurgeMatchRequestKeys) {
  EXPECT_EQ(primaryKeyFromUrl("HTTPS://Example.com/a/%7euser?q=%2f#frag"),
            primaryKey(req("https", "example.com", "/a/~user?q=%2F")));
  EXPECT_EQ(primaryKeyFromUrl("http://h"), "http://h/");
  EXPECT_FALSE(primaryKeyFromUrl("/relative"));
  EXPECT_FALSE(primaryKeyFromUrl("ftp://h/x"));
  EXPECT_EQ(keyPath("https://h:8443/blog/x?y"), "/blog/x?y");
}

TEST(CacheKey, AcceptEncodingCollapsesToThreeVariants) {
  EXPECT_EQ(normalizeAcceptEncoding("gzip, deflate, br"), "br");
  EXPECT_EQ(normalizeAcceptEncoding("gzip;q=1.0, identity; q=0.5"), "gzip");
  EXPECT_EQ(normalizeAcceptEncoding("br;q=0, gzip"), "gzip");
  EXPECT_EQ(normalizeAcceptEncoding("deflate"), "");
  EXPECT_EQ(normalizeAcceptEncoding(""), "");
}

TEST(CacheKey, VaryFieldsAreLowercaseSortedAndUnique) {
  http::HeaderMap h;
  h.add("Vary", "Accept-Language, accept-encoding");
  h.add("vary", "Accept-Language");
  EXPECT_EQ(varyFields(h), (std::vector<std::string>{"accept-encoding", "accept-language"}));
}

TEST(CacheKey, VaryKeysSeparateValuesAndAbsence) {
  const std::vector<std::string> fields = {"accept-language"};
  http::HeaderMap en, en_spaced, fr, none, empty;
  en.add("Accept-Language", "en, de");
  en_spaced.add("accept-language", "  en,   de ");
  fr.add("Accept-Language", "fr");
  empty.add("Accept-Language", "");
  EXPECT_EQ(varyKey(fields, en), varyKey(fields, en_spaced));
  EXPECT_NE(varyKey(fields, en), varyKey(fields, fr));
  EXPECT_NE(varyKey(fields, none), varyKey(fields, empty));
}

TEST(CacheKey, AValueCannotForgeAnotherFieldsBoundary) {
  const std::vector<std::string> two = {"a", "b"};
  http::HeaderMap x, y;
  x.add("a", "1\nb=1:2");
  y.add("a", "1");
  y.add("b", "2");
  EXPECT_NE(varyKey(two, x), varyKey(two, y));
}

}  // namespace
}  // namespace gatehouse::cache
