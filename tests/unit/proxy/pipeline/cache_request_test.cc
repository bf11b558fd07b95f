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

TEST(CacheRequest, ASessionIsAuthorizationOrACookieNotIgnored) {
  const std::vector<std::string> ignored = {"_ga", "_gid"};
  http::RequestHead r;
  EXPECT_FALSE(carriesSession(r, ignored));
  r.headers.add("Cookie", "_ga=1; _gid=2");
  EXPECT_FALSE(carriesSession(r, ignored)) << "analytics cookies are no session";
  r.headers.add("Cookie", "sid=3");
  EXPECT_TRUE(carriesSession(r, ignored));
  http::RequestHead a;
  a.headers.add("Authorization", "Basic eDp5");
  EXPECT_TRUE(carriesSession(a, ignored));
}

// Issue 14, defect 2: a GET with a body was looked up and filled like any other.
TEST(CacheRequest, AGetOrHeadWithABodyIsPassed) {
  for (const char* method : {"GET", "HEAD"}) {
    http::RequestHead r;
    r.method = method;
    r.has_body = true;
    r.headers.add("Cookie", "_ga=1");
    EXPECT_EQ(prepareCacheRequest(r, {"_ga"}), CacheRoute::PassBody) << method;
    EXPECT_TRUE(r.headers.has("cookie")) << "a pass goes to the origin as it came";
  }
}

}  // namespace
}  // namespace gatehouse::pipeline
