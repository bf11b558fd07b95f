// Which fields may travel in trailers (RFC 9110 §6.5.1). Issue 14: request trailers reached
// backends unfiltered, a Host or an Authorization among them.
#include "proxy/http/trailer_fields.h"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

TEST(TrailerFields, RefusesFramingRoutingAuthenticationAndModifiers) {
  for (const char* name : {"Content-Length",
                           "Transfer-Encoding",
                           "Trailer",
                           "TE",
                           "Connection",
                           "Upgrade",
                           "Host",
                           "X-Forwarded-For",
                           "Forwarded",
                           "Via",
                           "X-Request-Id",
                           "Authorization",
                           "Proxy-Authorization",
                           "Cookie",
                           "Set-Cookie",
                           "Expect",
                           "Range",
                           "If-None-Match",
                           "Cache-Control",
                           "Max-Forwards",
                           "Location",
                           "Vary"})
    EXPECT_FALSE(allowedInTrailers(name)) << name;
}

TEST(TrailerFields, RefusesEveryContentFieldInAnyCase) {
  for (const char* name : {"content-type", "Content-Encoding", "CONTENT-RANGE", "content-x"})
    EXPECT_FALSE(allowedInTrailers(name)) << name;
  EXPECT_TRUE(allowedInTrailers("content")) << "only the content-* family";
}

TEST(TrailerFields, AllowsWhatTrailersAreFor) {
  for (const char* name : {"X-Checksum", "Server-Timing", "grpc-status", "Digest", "ETag-ish"})
    EXPECT_TRUE(allowedInTrailers(name)) << name;
}

TEST(TrailerFields, RemoveDropsOnlyTheRefusedAndKeepsOrder) {
  HeaderMap trailers;
  trailers.add("X-A", "1");
  trailers.add("host", "evil");
  trailers.add("X-B", "2");
  trailers.add("Content-Length", "5");
  EXPECT_EQ(removeDisallowedTrailers(trailers), 2u);
  ASSERT_EQ(trailers.size(), 2u);
  EXPECT_EQ(trailers.begin()->name, "X-A");
  EXPECT_EQ((trailers.begin() + 1)->name, "X-B");
}

}  // namespace
}  // namespace gatehouse::http
