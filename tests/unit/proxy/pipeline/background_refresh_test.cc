// Grace on a FakeClock: a stale copy is served at once while one background refresh (no
// client) goes to the origin; a failing origin leaves the stale copy in service, served as
// stale-if-error, until a refresh succeeds. What tests/integration/cache_test.py checks end to
// end, without waiting for anything to expire.

#include "proxy/pipeline/background_refresh.h"

#include "tests/unit/proxy/pipeline/cache_handler_test_support.h"

namespace gatehouse::pipeline::testing {
namespace {

const Fields kShortLived = {{"Cache-Control", "max-age=1"}};

class GraceTest : public CacheHandlerTest {
 protected:
  // "/g" stored, then past its freshness but well within grace.
  void SetUp() override {
    prime("/g", kShortLived, "v1");
    clock.advance(std::chrono::seconds(2));
  }
  // The refresh has ended and, destroyed once its last callback returned, let go of the key.
  bool refreshEnded() {
    if (!runUntil([&] { return refreshes.running() == 0; })) return false;
    spin();
    return true;
  }
};

TEST_F(GraceTest, AStaleHitIsServedAtOnceWhileOneRefreshRuns) {
  auto stale = get("/g");
  EXPECT_EQ(stale->downstream.status(), 200);
  EXPECT_EQ(stale->downstream.body, "v1");
  EXPECT_EQ(stale->downstream.field("cache-status"),
            "gatehouse; hit; ttl=-1; detail=stale-while-revalidate");
  ASSERT_EQ(origin.made(), 2u);
  EXPECT_EQ(refreshes.running(), 1u);
  EXPECT_TRUE(origin.last().watched());
  EXPECT_EQ(origin.last().request().method, "GET");
  EXPECT_EQ(origin.last().request().target, "/g");

  auto again = get("/g");
  EXPECT_EQ(again->downstream.body, "v1");
  EXPECT_EQ(origin.made(), 2u) << "one refresh per key at a time";
  EXPECT_EQ(counted(counters().stale_while_revalidate), 2u);
}

TEST_F(GraceTest, ASuccessfulRefreshStoresTheNewResponse) {
  auto stale = get("/g");
  origin.last().respond(200, {{"Cache-Control", "max-age=60"}}, "v2");
  ASSERT_TRUE(refreshEnded());
  auto fresh = get("/g");
  EXPECT_EQ(fresh->downstream.body, "v2");
  EXPECT_EQ(fresh->downstream.field("cache-status"), "gatehouse; hit; ttl=60");
  EXPECT_EQ(origin.made(), 2u);
}

TEST_F(GraceTest, TheRefreshDropsTheClientsConditionsAndRange) {
  auto stale = get("/g", {{"If-None-Match", "\"mine\""}, {"Range", "bytes=0-0"}});
  EXPECT_EQ(stale->downstream.status(), 206);
  const http::RequestHead& refresh = origin.last().request();
  EXPECT_FALSE(refresh.headers.has("if-none-match"));
  EXPECT_FALSE(refresh.headers.has("range"));
}

TEST_F(GraceTest, ARefreshRevalidatesAndA304KeepsTheStoredBody) {
  // A copy with a validator: the refresh asks whether it is still current.
  store->purge("http://example.com/g");
  prime("/g", {{"Cache-Control", "max-age=1"}, {"ETag", "\"v1\""}}, "v1");
  clock.advance(std::chrono::seconds(2));
  auto stale = get("/g");
  EXPECT_EQ(origin.last().request().headers.get("if-none-match"), "\"v1\"");
  origin.last().respond(304, {{"ETag", "\"v1\""}, {"Cache-Control", "max-age=60"}});
  ASSERT_TRUE(refreshEnded());
  auto fresh = get("/g");
  EXPECT_EQ(fresh->downstream.body, "v1");
  EXPECT_EQ(fresh->downstream.field("cache-status"), "gatehouse; hit; ttl=60");
  EXPECT_EQ(counted(counters().revalidated), 1u);
}

TEST_F(GraceTest, WhileTheOriginFailsTheStaleCopyIsServedAsStaleIfError) {
  auto stale = get("/g");
  origin.last().respond(503, {}, "down");
  ASSERT_TRUE(refreshEnded());
  EXPECT_EQ(counted(counters().refresh_failures), 1u);

  auto during = get("/g");
  EXPECT_EQ(during->downstream.status(), 200);
  EXPECT_EQ(during->downstream.body, "v1");
  EXPECT_EQ(during->downstream.field("cache-status"),
            "gatehouse; hit; ttl=-1; detail=stale-if-error");
  EXPECT_EQ(counted(counters().stale_if_error), 1u);

  // That hit started the next refresh; the origin is back.
  ASSERT_EQ(origin.made(), 3u);
  origin.last().respond(200, {{"Cache-Control", "max-age=60"}}, "v2");
  ASSERT_TRUE(refreshEnded());
  auto after = get("/g");
  EXPECT_EQ(after->downstream.body, "v2");
  EXPECT_EQ(after->downstream.field("cache-status"), "gatehouse; hit; ttl=60");
}

TEST_F(GraceTest, WhenNoServerCanTakeTheRefreshTheStaleCopyStays) {
  auto stale = get("/g");
  origin.last().fail(503);  // no server available (all in maintenance, say)
  ASSERT_TRUE(refreshEnded());
  auto during = get("/g");
  EXPECT_EQ(during->downstream.body, "v1");
  EXPECT_EQ(during->downstream.field("cache-status"),
            "gatehouse; hit; ttl=-1; detail=stale-if-error");
  EXPECT_EQ(counted(counters().refresh_failures), 1u);
}

TEST_F(GraceTest, PastGraceTheCopyIsGoneAndTheOriginsErrorGoesThrough) {
  clock.advance(std::chrono::hours(2));
  auto fx = get("/g");
  origin.last().fail(503);
  EXPECT_EQ(fx->downstream.status(), 503);
  EXPECT_EQ(refreshes.running(), 0u);
}

TEST_F(GraceTest, ARefreshDestroyedWhileRunningReleasesTheKey) {
  const std::string key = "http://example.com/g";
  {
    BackgroundRefreshes shutting_down(loop);  // a worker's, at shutdown
    FakeExchange client(request("GET", "/g"));
    ASSERT_TRUE(store->beginRefresh(key));
    shutting_down.start(client.exchange, key, policy, route, origin.factory(), stored("/g"));
    EXPECT_EQ(shutting_down.running(), 1u);
    EXPECT_TRUE(origin.last().started());
    EXPECT_FALSE(store->beginRefresh(key));
  }
  EXPECT_FALSE(origin.alive(origin.made() - 1)) << "its fetch went with it";
  EXPECT_TRUE(store->beginRefresh(key));
}

}  // namespace
}  // namespace gatehouse::pipeline::testing
