// CacheHandler for client exchanges, in front of a scripted origin: a miss fills and stores, a
// hit never reaches the origin, concurrent misses share one fill, a stale copy is revalidated,
// unsafe methods pass and invalidate, HEAD and Range misses pass. The grace cases are in
// background_refresh_test.cc.

#include "proxy/pipeline/cache_handler.h"

#include "tests/unit/proxy/pipeline/cache_handler_test_support.h"

namespace gatehouse::pipeline::testing {
namespace {

const Fields kCacheable = {{"Cache-Control", "max-age=60"}};

// --- miss, fill, hit -------------------------------------------------------------------------

TEST_F(CacheHandlerTest, AMissStreamsTheOriginsResponseAndStoresIt) {
  auto fx = get("/a");
  ASSERT_EQ(origin.made(), 1u);
  EXPECT_TRUE(origin.fetch(0).started());
  EXPECT_TRUE(origin.fetch(0).watched());
  EXPECT_EQ(fx->downstream.heads, 0) << "nothing is answered before the origin does";

  origin.fetch(0).respondHead([] {
    http::ResponseHead head;
    head.headers.add("Cache-Control", "max-age=60");
    head.content_length = 5;
    return head;
  }());
  EXPECT_EQ(fx->downstream.status(), 200);
  EXPECT_EQ(fx->downstream.field("cache-status"), "gatehouse; fwd=uri-miss; stored");
  origin.fetch(0).respondBody("hel");
  origin.fetch(0).respondBody("lo");
  EXPECT_FALSE(stored("/a")) << "stored only once the body is complete";
  origin.fetch(0).respondEnd();

  EXPECT_EQ(fx->downstream.body, "hello");
  EXPECT_TRUE(fx->downstream.ended);
  auto object = stored("/a");
  ASSERT_TRUE(object);
  EXPECT_EQ(std::string(object->body()), "hello");
  EXPECT_EQ(counted(counters().misses), 1u);
}

TEST_F(CacheHandlerTest, AHitIsServedFromMemoryWithoutAFetch) {
  prime("/a", kCacheable, "hello");
  clock.advance(std::chrono::seconds(10));
  auto fx = get("/a");
  EXPECT_EQ(origin.made(), 1u);
  EXPECT_EQ(fx->downstream.status(), 200);
  EXPECT_EQ(fx->downstream.body, "hello");
  EXPECT_EQ(fx->downstream.field("age"), "10");
  EXPECT_EQ(fx->downstream.field("cache-status"), "gatehouse; hit; ttl=50");
  EXPECT_EQ(counted(counters().hits), 1u);
}

TEST_F(CacheHandlerTest, TheFastPathAnswersAFreshHitWithoutAHandler) {
  prime("/a", kCacheable, "hello");
  FakeExchange fx(request("GET", "/a"));
  EXPECT_TRUE(CacheHandler::serveFreshHit(fx.exchange, *policy));
  EXPECT_EQ(fx.downstream.body, "hello");
  clock.advance(std::chrono::seconds(61));
  FakeExchange stale(fx.exchange.request());
  EXPECT_FALSE(CacheHandler::serveFreshHit(stale.exchange, *policy))
      << "a stale object goes through a CacheHandler";
}

TEST_F(CacheHandlerTest, AResponseThatMayNotBeStoredMarksTheUrlHitForPass) {
  auto first = get("/private");
  origin.last().respond(200, {{"Cache-Control", "private"}}, "mine");
  EXPECT_EQ(first->downstream.body, "mine");
  EXPECT_EQ(counted(counters().not_stored), 1u);
  auto second = get("/private");
  ASSERT_EQ(origin.made(), 2u);
  origin.last().respond(200, {{"Cache-Control", "private"}}, "yours");
  EXPECT_EQ(second->downstream.field("cache-status"),
            "gatehouse; fwd=uri-miss; detail=hit-for-pass");
}

TEST_F(CacheHandlerTest, ABodyOverMaxObjectPassesThroughUnstored) {
  store->setLimits(8 * 1024 * 1024, 4);
  auto fx = get("/big");
  origin.last().respondHead([] {
    http::ResponseHead head;
    head.headers.add("Cache-Control", "max-age=60");
    return head;  // no length: the size shows as the body streams
  }());
  origin.last().respondBody("12345678");
  origin.last().respondEnd();
  EXPECT_EQ(fx->downstream.body, "12345678");
  EXPECT_FALSE(stored("/big"));
  EXPECT_EQ(counted(counters().too_large), 1u);
}

// --- coalescing ------------------------------------------------------------------------------

TEST_F(CacheHandlerTest, ConcurrentMissesAreServedFromTheOneFill) {
  auto filler = get("/c");
  auto waiter = get("/c");
  ASSERT_EQ(origin.made(), 1u) << "the second miss waits instead of fetching";
  EXPECT_EQ(counted(counters().coalesced), 1u);

  origin.fetch(0).respond(200, kCacheable, "shared");
  EXPECT_EQ(filler->downstream.body, "shared");
  ASSERT_TRUE(runUntil([&] { return waiter->downstream.finished(); }));
  EXPECT_EQ(waiter->downstream.body, "shared");
  EXPECT_EQ(waiter->downstream.field("cache-status"), "gatehouse; hit; ttl=60; collapsed");
  EXPECT_EQ(origin.made(), 1u);
}

TEST_F(CacheHandlerTest, WaitersFetchForThemselvesWhenTheFillStoredNothing) {
  auto filler = get("/c");
  auto waiter = get("/c");
  origin.fetch(0).respond(200, {{"Cache-Control", "no-store"}}, "first");
  ASSERT_TRUE(runUntil([&] { return origin.made() == 2; }));
  origin.fetch(1).respond(200, {{"Cache-Control", "no-store"}}, "second");
  EXPECT_EQ(waiter->downstream.body, "second");
}

TEST_F(CacheHandlerTest, AFillerWhoseClientLeavesReleasesItsWaiters) {
  auto filler = get("/c");
  auto waiter = get("/c");
  filler->exchange.handler()->onDownstreamReset();
  filler.reset();
  ASSERT_TRUE(runUntil([&] { return origin.made() == 2; }));
  origin.fetch(1).respond(200, kCacheable, "own");
  EXPECT_EQ(waiter->downstream.body, "own");
  EXPECT_TRUE(stored("/c"));
}

TEST_F(CacheHandlerTest, AWaiterWhoseClientLeavesIsNotWokenLater) {
  auto filler = get("/c");
  auto waiter = get("/c");
  waiter->exchange.handler()->onDownstreamReset();
  waiter.reset();
  origin.fetch(0).respond(200, kCacheable, "shared");
  spin();
  EXPECT_EQ(origin.made(), 1u);
}

// --- revalidation ----------------------------------------------------------------------------

TEST_F(CacheHandlerTest, AStaleCopyIsRevalidatedAndA304RefreshesIt) {
  prime("/r", {{"Cache-Control", "no-cache"}, {"ETag", "\"v1\""}}, "body");
  auto fx = get("/r", {{"If-None-Match", "\"client's\""}});
  ASSERT_EQ(origin.made(), 2u);
  EXPECT_EQ(origin.last().request().headers.get("if-none-match"), "\"v1\"")
      << "the stored copy's validator, not the client's";
  EXPECT_EQ(counted(counters().revalidations), 1u);

  origin.last().respond(304, {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=60"}});
  EXPECT_EQ(fx->downstream.status(), 200);
  EXPECT_EQ(fx->downstream.body, "body");
  EXPECT_EQ(fx->downstream.field("cache-status"), "gatehouse; fwd=stale; fwd-status=304; ttl=60");
  EXPECT_EQ(counted(counters().revalidated), 1u);

  auto after = get("/r");
  EXPECT_EQ(origin.made(), 2u) << "fresh again after the 304";
  EXPECT_EQ(after->downstream.body, "body");
}

TEST_F(CacheHandlerTest, AClientWhoseCopyIsCurrentGetsA304FromTheRevalidatedObject) {
  prime("/r", {{"Cache-Control", "no-cache"}, {"ETag", "\"v1\""}}, "body");
  auto fx = get("/r", {{"If-None-Match", "\"v1\""}});
  origin.last().respond(304, {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=60"}});
  EXPECT_EQ(fx->downstream.status(), 304);
}

TEST_F(CacheHandlerTest, A304NamingAnotherRepresentationIsRefetchedInFull) {
  prime("/r", {{"Cache-Control", "no-cache"}, {"ETag", "\"v1\""}}, "old");
  auto fx = get("/r");
  origin.last().respond(304, {{"ETag", "\"v2\""}});
  EXPECT_EQ(fx->downstream.heads, 0);
  ASSERT_TRUE(runUntil([&] { return origin.made() == 3; }));
  EXPECT_FALSE(origin.last().request().headers.has("if-none-match"));
  origin.last().respond(200, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v2\""}}, "new");
  EXPECT_EQ(fx->downstream.body, "new");
  EXPECT_EQ(stored("/r")->etag(), "\"v2\"");
}

// --- what passes -----------------------------------------------------------------------------

TEST_F(CacheHandlerTest, AnUnsafeMethodPassesAndItsSuccessInvalidatesTheUrl) {
  prime("/p", kCacheable, "cached");
  prime("/p/moved", kCacheable, "cached too");
  auto fx = send("POST", "/p");
  ASSERT_EQ(origin.made(), 3u) << "never answered from the cache";
  EXPECT_EQ(origin.last().request().method, "POST");
  origin.last().respond(201, {{"Location", "/p/moved"}}, "made");
  EXPECT_EQ(fx->downstream.status(), 201);
  EXPECT_EQ(fx->downstream.field("cache-status"), "gatehouse; fwd=bypass");
  EXPECT_FALSE(stored("/p"));
  EXPECT_FALSE(stored("/p/moved")) << "Location on the same host is invalidated too";
  EXPECT_EQ(counted(counters().unsafe_invalidations_anonymous), 1u);
}

TEST_F(CacheHandlerTest, AFailedUnsafeRequestInvalidatesNothing) {
  prime("/p", kCacheable, "cached");
  auto fx = send("DELETE", "/p");
  origin.last().respond(500, {}, "oops");
  EXPECT_EQ(fx->downstream.status(), 500);
  EXPECT_TRUE(stored("/p"));
}

TEST_F(CacheHandlerTest, ARequestWithCredentialsPassesUnstored) {
  auto fx = get("/me", {{"Authorization", "Bearer x"}});
  origin.last().respond(200, kCacheable, "personal");
  EXPECT_EQ(fx->downstream.field("cache-status"), "gatehouse; fwd=bypass");
  EXPECT_FALSE(stored("/me"));
  EXPECT_EQ(counted(counters().passes), 1u);
}

TEST_F(CacheHandlerTest, AHeadMissPassesWithoutAFill) {
  auto fx = send("HEAD", "/h");
  ASSERT_EQ(origin.made(), 1u);
  EXPECT_EQ(origin.last().request().method, "HEAD");
  origin.last().respond(200, kCacheable);
  EXPECT_EQ(fx->downstream.field("cache-status"), "gatehouse; fwd=uri-miss");
  EXPECT_FALSE(stored("/h"));
}

TEST_F(CacheHandlerTest, ARangeMissPassesWithoutAFillAndARangeHitIsCutFromMemory) {
  auto miss = get("/r", {{"Range", "bytes=0-1"}});
  EXPECT_EQ(origin.last().request().headers.get("range"), "bytes=0-1");
  origin.last().respond(206, {{"Content-Range", "bytes 0-1/4"}}, "ab");
  EXPECT_FALSE(stored("/r"));

  prime("/r", kCacheable, "abcd");
  auto hit = get("/r", {{"Range", "bytes=1-2"}});
  EXPECT_EQ(hit->downstream.status(), 206);
  EXPECT_EQ(hit->downstream.body, "bc");
  EXPECT_EQ(origin.made(), 2u);
}

TEST_F(CacheHandlerTest, OnlyIfCachedIsAnswered504OnAMiss) {
  auto fx = get("/none", {{"Cache-Control", "only-if-cached"}});
  EXPECT_EQ(fx->downstream.status(), 504);
  EXPECT_EQ(origin.made(), 0u);
}

TEST_F(CacheHandlerTest, TheRequestBodyAndItsEndReachTheFetch) {
  auto fx = send("POST", "/form");
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, "a=1", 3);
  fx->exchange.handler()->onRequestBody(body);
  fx->exchange.handler()->onRequestEnd();
  evbuffer_free(body);
  EXPECT_EQ(origin.last().requestBody(), "a=1");
  EXPECT_TRUE(origin.last().requestEnded());
}

}  // namespace
}  // namespace gatehouse::pipeline::testing
