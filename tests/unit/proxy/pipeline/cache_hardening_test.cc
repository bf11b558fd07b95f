// Issue 14: a client can neither poison the cache nor empty it. CacheHandler on a scripted
// origin, one group per defect: a GET's body (2), forced TTLs on error pages (4), read-only's
// lifetimes and `private` (6), unsafe requests evicting pages (7), and Vary (issue 15 item 6).
// tests/hostile/cache_poisoning_test.py drives the same cases through the real binary.

#include "proxy/gate/read_only_state.h"
#include "tests/unit/proxy/pipeline/cache_handler_test_support.h"

namespace gatehouse::pipeline::testing {
namespace {

const Fields kCacheable = {{"Cache-Control", "max-age=60"}};

// A response stored for `target` (a hit-for-pass marker is none).
bool keeps(const std::shared_ptr<const cache::CachedObject>& found) {
  return found && !found->hit_for_pass;
}

// --- defect 2: a GET with a body -------------------------------------------------------------

http::RequestHead withBody(http::RequestHead head) {
  head.has_body = true;
  head.content_length = 6;
  return head;
}

TEST_F(CacheHandlerTest, AGetWithABodyNeverFillsTheCache) {
  auto fx = send(withBody(request("GET", "/search")));
  ASSERT_EQ(origin.made(), 1u);
  origin.last().respond(200, kCacheable, "results for <script>");
  EXPECT_EQ(fx->downstream.body, "results for <script>");
  EXPECT_EQ(fx->downstream.field("cache-status"), "gatehouse; fwd=bypass");
  EXPECT_FALSE(stored("/search"));
  EXPECT_EQ(counted(counters().request_body_passes), 1u);
  EXPECT_EQ(counted(counters().passes), 1u);
}

TEST_F(CacheHandlerTest, AGetWithABodyIsNeverAnsweredFromTheCache) {
  prime("/search", kCacheable, "everything");
  FakeExchange fast(withBody(request("GET", "/search")));
  EXPECT_FALSE(CacheHandler::serveFreshHit(fast.exchange, *policy));
  auto fx = send(withBody(request("GET", "/search")));
  ASSERT_EQ(origin.made(), 2u);
  origin.last().respond(200, kCacheable, "cats");
  EXPECT_EQ(fx->downstream.body, "cats");
  EXPECT_EQ(stored("/search")->body().size(), 10u) << "the stored object is untouched";
}

// --- defect 4: forced TTLs ---------------------------------------------------------------------

TEST_F(CacheHandlerTest, AForcedTtlNeverStoresAnErrorPageForEveryone) {
  route.cache_ttl = std::chrono::milliseconds(60000);
  for (int status : {404, 405, 410, 414, 501}) {
    const std::string target = "/e" + std::to_string(status);
    auto odd = get(target);
    origin.last().respond(status, {}, "error");
    EXPECT_FALSE(keeps(stored(target))) << status;
  }
  auto fx = get("/page");
  origin.last().respond(200, {}, "page");
  ASSERT_TRUE(stored("/page"));
  EXPECT_EQ(stored("/page")->freshness_lifetime, 60);
}

TEST_F(CacheHandlerTest, AForcedTtlAppliesToTheStatusesTheRouteLists) {
  route.cache_ttl = std::chrono::milliseconds(60000);
  route.cache_ttl_statuses = {410};
  auto gone = get("/gone");
  origin.last().respond(410, {}, "gone");
  ASSERT_TRUE(stored("/gone"));
  EXPECT_EQ(stored("/gone")->freshness_lifetime, 60);
  auto page = get("/page");
  origin.last().respond(200, {{"Cache-Control", "max-age=5"}}, "page");
  EXPECT_EQ(stored("/page")->freshness_lifetime, 5) << "the origin's own freshness";
}

// --- defect 6: read-only mode ------------------------------------------------------------------

// Read-only mode on for one test, with the store watching it as the server's does.
class ReadOnlyCacheTest : public CacheHandlerTest {
 protected:
  ReadOnlyCacheTest() { state.set(true, "a test", std::nullopt); }
  ~ReadOnlyCacheTest() override { state.set(false, "", std::nullopt); }
  void switchOff() { state.set(false, "", std::nullopt); }

  gate::ReadOnlyState& state = gate::ReadOnlyState::process();
  std::shared_ptr<const void> watch = watchReadOnly(state, store);
};

TEST_F(ReadOnlyCacheTest, APrivateResponseIsNeverServedToAnotherClient) {
  auto alice = get("/account", {{"X-Api-Key", "alice"}});
  origin.last().respond(200, {{"Cache-Control", "private, max-age=60"}}, "alice's");
  EXPECT_FALSE(keeps(stored("/account")));
  auto bob = get("/account", {{"X-Api-Key", "bob"}});
  ASSERT_EQ(origin.made(), 2u);
  origin.last().respond(200, {{"Cache-Control", "private, max-age=60"}}, "bob's");
  EXPECT_EQ(bob->downstream.body, "bob's");
}

TEST_F(ReadOnlyCacheTest, WhatTheModeKeptPastTheOriginsFreshnessEndsWithIt) {
  prime("/news", {{"Cache-Control", "no-cache"}}, "news");
  prime("/about", {{"Cache-Control", "max-age=600"}}, "about");
  ASSERT_TRUE(stored("/news")->read_only_extended);
  EXPECT_TRUE(stored("/news")->isFresh(policy->now())) << "kept min_ttl while the mode is on";
  EXPECT_FALSE(stored("/about")->read_only_extended);
  switchOff();
  EXPECT_FALSE(stored("/news"));
  EXPECT_TRUE(stored("/about"));
  EXPECT_EQ(counted(counters().read_only_ends), 1u);
}

TEST_F(ReadOnlyCacheTest, AFillUnderWayWhenTheModeEndsIsNotStored) {
  auto fx = get("/news");
  origin.last().respondHead([] {
    http::ResponseHead head;
    head.headers.add("Cache-Control", "no-cache");
    head.content_length = 4;
    return head;
  }());
  switchOff();
  origin.last().respondBody("news");
  origin.last().respondEnd();
  EXPECT_EQ(fx->downstream.body, "news");
  EXPECT_FALSE(stored("/news"));
}

TEST_F(CacheHandlerTest, SwitchingReadOnlyOffWithoutAWatchTouchesNothing) {
  prime("/a", kCacheable, "a");
  gate::ReadOnlyState::process().set(true, "", std::nullopt);
  gate::ReadOnlyState::process().set(false, "", std::nullopt);
  EXPECT_TRUE(stored("/a"));
  EXPECT_EQ(counted(counters().read_only_ends), 0u);
}

// --- defect 7: unsafe requests -----------------------------------------------------------------

TEST_F(CacheHandlerTest, OnASessionRouteAnonymousUnsafeRequestsInvalidateNothing) {
  route.invalidate_on_unsafe = config::InvalidateOnUnsafe::Session;
  policy->config.anonymous_ignore_cookies = {"_ga"};
  prime("/hot", kCacheable, "hot");
  for (int i = 0; i < 3; ++i) {
    auto post = send("POST", "/hot", {{"Cookie", "_ga=GA1"}});
    origin.last().respond(200, {}, "ok");
  }
  EXPECT_TRUE(stored("/hot"));
  EXPECT_EQ(counted(counters().unsafe_invalidations_skipped), 3u);
  auto post = send("POST", "/hot", {{"Cookie", "_ga=GA1; sid=alice"}});
  origin.last().respond(200, {}, "ok");
  EXPECT_FALSE(stored("/hot"));
  EXPECT_EQ(counted(counters().unsafe_invalidations_session), 1u);
}

TEST_F(CacheHandlerTest, ARouteMayKeepItsPagesWhateverUnsafeRequestsSay) {
  route.invalidate_on_unsafe = config::InvalidateOnUnsafe::Never;
  prime("/hot", kCacheable, "hot");
  auto del = send("DELETE", "/hot", {{"Authorization", "Bearer admin"}});
  origin.last().respond(204);
  EXPECT_TRUE(stored("/hot"));
  EXPECT_EQ(counted(counters().unsafe_invalidations_skipped), 1u);
}

// --- Vary ------------------------------------------------------------------------------------

TEST_F(CacheHandlerTest, VariantsBeyondMaxVariantsPassUnstored) {
  store->setLimits(8 * 1024 * 1024, 1024 * 1024, 2);
  const Fields vary = {{"Cache-Control", "max-age=60"}, {"Vary", "X-Junk"}};
  for (const char* junk : {"1", "2", "3"}) {
    auto fx = get("/v", {{"X-Junk", junk}});
    origin.last().respond(200, vary, junk);
    EXPECT_EQ(fx->downstream.body, junk);
    EXPECT_EQ(contains(fx->downstream.field("cache-status"), "stored"), junk[0] != '3') << junk;
  }
  EXPECT_EQ(store->objectCount(), 2u);
  EXPECT_EQ(counted(counters().variant_limit), 1u);
  auto again = get("/v", {{"X-Junk", "3"}});
  EXPECT_EQ(origin.made(), 4u) << "the variant over the cap goes to the origin";
  auto hit = get("/v", {{"X-Junk", "1"}});
  EXPECT_EQ(origin.made(), 4u);
  EXPECT_EQ(hit->downstream.body, "1");
}

TEST_F(CacheHandlerTest, A304SayingVaryStarDropsTheStoredCopy) {
  prime("/star", {{"Cache-Control", "no-cache"}, {"ETag", "\"v1\""}}, "body");
  auto fx = get("/star");
  origin.last().respond(304, {{"ETag", "\"v1\""}, {"Vary", "*"}, {"Cache-Control", "max-age=60"}});
  EXPECT_EQ(fx->downstream.body, "body") << "the client is answered all the same";
  EXPECT_FALSE(stored("/star"));
}

}  // namespace
}  // namespace gatehouse::pipeline::testing
