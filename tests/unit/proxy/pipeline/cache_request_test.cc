#include "proxy/pipeline/cache_request.h"

#include <gtest/gtest.h>

namespace gatehouse::pipeline {
namespace {

TEST(CacheRequest, RemovesOnlyTheIgnoredCookies) {
  http::HeaderMap h;
  h.add("Cookie", "_ga=1; session=abc");
  h.add("Cookie", "_gid=2");
  removeIgnoredCookies(h, {"_ga", "_gid"});
  EXPECT_EQ(h.get("cookie"), "session=abc");
}

TEST(CacheRequest, DropsTheFieldWhenNothingIsLeft) {
  http::HeaderMap h;
  h.add("Cookie", "_ga=1;  _gid=2;");
  removeIgnoredCookies(h, {"_ga", "_gid"});
  EXPECT_FALSE(h.has("cookie"));
}

TEST(CacheRequest, AnonymousMeansNoAuthorizationAndNoCookie) {
  http::RequestHead r;
  EXPECT_TRUE(isAnonymous(r));
  r.headers.add("Authorization", "Bearer x");
  EXPECT_FALSE(isAnonymous(r));
  http::RequestHead c;
  c.headers.add("Cookie", "a=b");
  EXPECT_FALSE(isAnonymous(c));
}

TEST(CacheRequest, Methods) {
  EXPECT_TRUE(isCacheableMethod("GET"));
  EXPECT_TRUE(isCacheableMethod("HEAD"));
  EXPECT_FALSE(isCacheableMethod("POST"));
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "PURGE"})
    EXPECT_TRUE(isUnsafeMethod(m)) << m;
  for (const char* m : {"GET", "HEAD", "OPTIONS", "TRACE"})
    EXPECT_FALSE(isUnsafeMethod(m)) << m;
}

}  // namespace
}  // namespace gatehouse::pipeline
