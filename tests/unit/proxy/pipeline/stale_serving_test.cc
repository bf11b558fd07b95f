// Serving stale only when allowed (RFC 9111 §4.2.4, RFC 5861; issue 15, items 2, 3 and 5), on
// the default settings: grace 0 (no stale-while-revalidate unless the origin says so) and
// stale_if_error 1h. And a 304 updates what this request and the next hit serve (§4.3.4).

#include "tests/unit/proxy/pipeline/cache_handler_test_support.h"

namespace gatehouse::pipeline::testing {
namespace {

class StaleServingTest : public CacheHandlerTest {
 protected:
  StaleServingTest() {
    auto p = std::make_shared<CachePolicy>(*policy);
    p->config = config::CacheConfig{};  // the defaults
    p->config.coalesce_timeout = Duration(5000);
    policy = std::move(p);
  }
};

TEST_F(StaleServingTest, AStaleCopyIsNotServedWhileRevalidatingUnlessAllowed) {
  prime("/s", {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}, {"X-Version", "a"}}, "v1");
  clock.advance(std::chrono::seconds(2));
  auto fx = get("/s");
  ASSERT_EQ(origin.made(), 2u);
  EXPECT_EQ(fx->downstream.status(), 0) << "the client waits for the revalidation";
  EXPECT_EQ(origin.last().request().headers.get("if-none-match"), "\"v1\"");
  EXPECT_EQ(refreshes.running(), 0u);
  EXPECT_EQ(counted(counters().stale_while_revalidate), 0u);

  // §4.3.4: the 304's fields replace the stored ones, for this request and the next hit.
  origin.last().respond(304,
                        {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=60"}, {"X-Version", "b"}});
  EXPECT_EQ(fx->downstream.status(), 200);
  EXPECT_EQ(fx->downstream.body, "v1");
  EXPECT_EQ(fx->downstream.field("x-version"), "b");
  EXPECT_EQ(fx->downstream.field("cache-control"), "max-age=60");
  auto hit = get("/s");
  EXPECT_EQ(origin.made(), 2u);
  EXPECT_EQ(hit->downstream.field("x-version"), "b");
  EXPECT_EQ(hit->downstream.field("cache-status"), "gatehouse; hit; ttl=60");
}

TEST_F(StaleServingTest, AResponseStaleOnArrivalIsNotServedAsAHit) {
  prime("/a", {{"Cache-Control", "max-age=3600"}, {"Age", "7200"}, {"ETag", "\"v1\""}}, "v1");
  auto fx = get("/a");
  EXPECT_EQ(origin.made(), 2u) << "§4.2.3: Age beyond max-age is stale on arrival";
  EXPECT_EQ(fx->downstream.status(), 0);
}

TEST_F(StaleServingTest, TheOriginsStaleWhileRevalidateIsHonouredWithinItsWindow) {
  prime("/w", {{"Cache-Control", "max-age=1, stale-while-revalidate=30"}}, "v1");
  clock.advance(std::chrono::seconds(20));  // stale for 19 s
  auto fx = get("/w");
  EXPECT_EQ(fx->downstream.body, "v1");
  EXPECT_EQ(fx->downstream.field("cache-status"),
            "gatehouse; hit; ttl=-19; detail=stale-while-revalidate");
  EXPECT_EQ(refreshes.running(), 1u);
  origin.last().fail(503);
  ASSERT_TRUE(runUntil([&] { return refreshes.running() == 0; }));
  spin();

  clock.advance(std::chrono::seconds(20));  // stale for 39 s: past the window
  store->setOriginFailing("http://example.com/w", false);
  auto late = get("/w");
  EXPECT_EQ(late->downstream.status(), 0) << "past stale-while-revalidate: fetched";
}

TEST_F(StaleServingTest, StaleIfErrorCoversAFailingOriginByDefault) {
  prime("/e", {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}}, "v1");
  clock.advance(std::chrono::seconds(2));
  auto fx = get("/e");
  origin.last().respond(503, {}, "down");
  EXPECT_EQ(fx->downstream.status(), 200);
  EXPECT_EQ(fx->downstream.body, "v1");
  EXPECT_EQ(fx->downstream.field("cache-status"),
            "gatehouse; hit; fwd=stale; fwd-status=503; ttl=-1; detail=stale-if-error");
}

TEST_F(StaleServingTest, StaleIfErrorEndsWithItsWindow) {
  prime("/e", {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}}, "v1");
  clock.advance(std::chrono::seconds(3602));
  auto fx = get("/e");
  origin.last().respond(503, {}, "down");
  EXPECT_EQ(fx->downstream.status(), 503);
}

TEST_F(StaleServingTest, RevalidationDirectivesForbidServingStaleOnError) {
  for (const char* cc : {"max-age=1, must-revalidate", "max-age=1, proxy-revalidate",
                         "s-maxage=1, stale-if-error=600"}) {
    store->purge("http://example.com/m");
    prime("/m", {{"Cache-Control", cc}, {"ETag", "\"v1\""}}, "v1");
    clock.advance(std::chrono::seconds(2));
    auto fx = get("/m");
    origin.last().respond(503, {}, "down");
    EXPECT_EQ(fx->downstream.status(), 503) << cc;
  }
}

// RFC 9213: CDN-Cache-Control governs this cache, and clients do not see it.
TEST_F(StaleServingTest, ATargetedFieldOverridesCacheControlAndIsRemoved) {
  auto fx = get("/t");
  origin.last().respond(200, {{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=60"}},
                        "v1");
  EXPECT_EQ(fx->downstream.field("cdn-cache-control"), "");
  EXPECT_EQ(fx->downstream.field("cache-control"), "no-store");
  auto hit = get("/t");
  EXPECT_EQ(origin.made(), 1u);
  EXPECT_EQ(hit->downstream.field("cache-status"), "gatehouse; hit; ttl=60");
  EXPECT_EQ(hit->downstream.field("cdn-cache-control"), "");

  // A 304 without the targeted field is judged by the stored one.
  clock.advance(std::chrono::seconds(61));
  store->purge("http://example.com/t");
  prime("/t",
        {{"CDN-Cache-Control", "max-age=1"}, {"Cache-Control", "max-age=3600"}, {"ETag", "\"v1\""}},
        "v1");
  clock.advance(std::chrono::seconds(2));
  auto revalidating = get("/t");
  origin.last().respond(304, {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=3600"}});
  EXPECT_EQ(revalidating->downstream.field("cache-status"),
            "gatehouse; fwd=stale; fwd-status=304; ttl=1");
}

TEST_F(StaleServingTest, AnInvalidTargetedFieldIsIgnoredWhole) {
  auto fx = get("/i");
  origin.last().respond(
      200, {{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=60, &&"}}, "v1");
  get("/i");
  EXPECT_EQ(origin.made(), 2u) << "Cache-Control's no-store applied";
}

TEST_F(StaleServingTest, AConfiguredTargetedFieldComesFirstAndMayBeForwarded) {
  auto p = std::make_shared<CachePolicy>(*policy);
  p->config.targeted_fields = {"Gatehouse-Cache-Control", "CDN-Cache-Control"};
  p->config.forward_targeted_fields = true;
  policy = std::move(p);
  auto fx = get("/o");
  origin.last().respond(
      200, {{"CDN-Cache-Control", "max-age=600"}, {"Gatehouse-Cache-Control", "max-age=5"}}, "v1");
  EXPECT_EQ(fx->downstream.field("gatehouse-cache-control"), "max-age=5");
  auto hit = get("/o");
  EXPECT_EQ(hit->downstream.field("cache-status"), "gatehouse; hit; ttl=5");
  EXPECT_EQ(hit->downstream.field("cdn-cache-control"), "max-age=600");
}

}  // namespace
}  // namespace gatehouse::pipeline::testing
