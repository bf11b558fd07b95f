// The path rules routing and the read-only allow-list share (issue 14).
#include "proxy/http/request_path.h"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

TEST(RequestPath, FindsDotSegmentsRawOrEncoded) {
  for (std::string_view path :
       {"/static/../admin", "/a/./b", "/..", "/.", "/a/..", "/%2e%2e/admin", "/%2E%2E/admin",
        "/.%2e/x", "/%2e./x", "/%2e/x", "/api/%2e%2e", "/api/..%2fadmin", "/api/..%2Fadmin",
        "/api/..%5cadmin", "/api\\..\\admin", "/api%2f..%2fadmin", "/a//../b", "/a/../"})
    EXPECT_TRUE(hasDotSegment(path)) << path;
}

TEST(RequestPath, LeavesOrdinaryDotsAndEncodedSlashesAlone) {
  for (std::string_view path : {"/", "", "*", "/app.js", "/a.b/..c", "/...", "/.well-known/x",
                                "/..x", "/x..", "/file%2etxt", "/api/group%2Fproject", "/%2e%2e%2e",
                                "/%2", "/%2e%2", "/a%5cb", "/a/b/c.tar.gz"})
    EXPECT_FALSE(hasDotSegment(path)) << path;
}

TEST(RequestPath, PrefixesMatchOnSegmentBoundaries) {
  EXPECT_TRUE(pathHasPrefix("/api", "/api"));
  EXPECT_TRUE(pathHasPrefix("/api/x", "/api"));
  EXPECT_TRUE(pathHasPrefix("/api/", "/api"));
  EXPECT_FALSE(pathHasPrefix("/apifoo", "/api"));
  EXPECT_FALSE(pathHasPrefix("/ap", "/api"));
  EXPECT_FALSE(pathHasPrefix("/api%2Fx", "/api"));
  // A prefix ending in '/' matches whatever starts with it, and "/" matches every path.
  EXPECT_TRUE(pathHasPrefix("/static/app.js", "/static/"));
  EXPECT_FALSE(pathHasPrefix("/static", "/static/"));
  EXPECT_TRUE(pathHasPrefix("/anything", "/"));
}

}  // namespace
}  // namespace gatehouse::http
