#include "cache/cache_store.h"

#include <gtest/gtest.h>

#include "cache/cache_key.h"

namespace gatehouse::cache {
namespace {

constexpr int64_t kNow = 1700000000;

ObjectDraft draft(std::string key) {
  ObjectDraft o;
  o.key = std::move(key);
  o.response_time = kNow;
  o.freshness_lifetime = 3600;
  return o;
}

std::shared_ptr<const CachedObject> pack(const ObjectDraft& d, size_t body_bytes) {
  const std::string body(body_bytes, 'x');
  return CachedObject::make(d, body);
}

std::shared_ptr<const CachedObject> object(std::string key, size_t body_bytes) {
  return pack(draft(std::move(key)), body_bytes);
}

const http::HeaderMap kNoHeaders;

// A variant of `key` for requests whose X-Variant is `value` (Vary: X-Variant).
ObjectDraft variantDraft(std::string key, std::string_view value) {
  http::HeaderMap request;
  request.add("X-Variant", value);
  ObjectDraft o = draft(std::move(key));
  o.vary_fields = {"x-variant"};
  o.vary_key = varyKey(o.vary_fields, request);
  return o;
}

std::shared_ptr<const CachedObject> variant(std::string key, std::string_view value) {
  return pack(variantDraft(std::move(key), value), 10);
}

std::shared_ptr<const CachedObject> marker(std::string key) {
  ObjectDraft d = draft(std::move(key));
  d.hit_for_pass = true;
  return pack(d, 0);
}

http::HeaderMap asking(std::string_view value) {
  http::HeaderMap request;
  request.add("X-Variant", value);
  return request;
}

TEST(CacheStore, StoresAndFindsAnObject) {
  CacheStore store(16 << 20, 1 << 20);
  ASSERT_TRUE(store.insert(object("http://h/a", 100), store.epoch()));
  auto found = store.lookup("http://h/a", kNoHeaders, kNow);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->body().size(), 100u);
  EXPECT_EQ(store.objectCount(), 1u);
  EXPECT_EQ(store.bytesUsed(), found->charge);
  EXPECT_FALSE(store.lookup("http://h/b", kNoHeaders, kNow));
}

TEST(CacheStore, ReplacesTheSameVariantAndKeepsOthers) {
  CacheStore store(16 << 20, 1 << 20);
  store.insert(variant("k", "v1"), 0);
  store.insert(variant("k", "v2"), 0);
  store.insert(variant("k", "v1"), 0);
  EXPECT_EQ(store.objectCount(), 2u);
}

TEST(CacheStore, RefusesObjectsOverMaxObject) {
  CacheStore store(16 << 20, 1000);
  EXPECT_FALSE(store.insert(object("k", 1001), 0));
  EXPECT_EQ(store.objectCount(), 0u);
}

// The config allows max_object up to 1/8 of memory, but each of the 16 shards holds 1/16: an
// object between the two used to evict everything in its shard and then itself.
TEST(CacheStore, AnObjectOverAShardsShareIsRefusedAndEvictsNothing) {
  CacheStore store(16 << 20, 2 << 20);
  EXPECT_EQ(store.maxObjectBytes(), uint64_t{1} << 20) << "a shard's share";
  for (int i = 0; i < 64; ++i)
    ASSERT_TRUE(store.insert(object("http://h/small" + std::to_string(i), 1000), store.epoch()));
  EXPECT_FALSE(store.insert(object("http://h/big", 1536 << 10), store.epoch()));
  // A body at the limit, whose head and key then make it bigger than the shard.
  EXPECT_FALSE(store.insert(object("http://h/edge", 1 << 20), store.epoch()));
  EXPECT_EQ(store.objectCount(), 64u);
  EXPECT_EQ(store.counters().evicted.load(), 0u);
}

TEST(CacheStore, StaysUnderItsByteBoundWhileTenTimesItIsInserted) {
  const uint64_t bound = 4 << 20;
  CacheStore store(bound, 64 << 10);
  for (int i = 0; i < 640; ++i) {
    store.insert(object("http://h/" + std::to_string(i), 64 << 10), store.epoch());
    ASSERT_LE(store.bytesUsed(), bound);
  }
  EXPECT_GT(store.bytesUsed(), bound / 2);
  EXPECT_GT(store.counters().evicted.load(), 500u);
}

TEST(CacheStore, AOneHitScanDoesNotFlushTheHotSet) {
  // S3-FIFO: objects hit while in the small queue move to main; a scan of cold keys only
  // churns the small queue.
  const uint64_t bound = 16 * 64 * CacheStore::kShards * 1024;  // ~16 MiB
  CacheStore store(bound, 64 << 10);
  std::vector<std::string> hot;
  for (int i = 0; i < 64; ++i)
    hot.push_back("http://h/hot" + std::to_string(i));
  for (const std::string& k : hot)
    store.insert(object(k, 16 << 10), 0);
  for (int round = 0; round < 3; ++round)
    for (const std::string& k : hot)
      ASSERT_TRUE(store.lookup(k, kNoHeaders, kNow));
  for (int i = 0; i < 20000; ++i)
    store.insert(object("http://h/scan" + std::to_string(i), 16 << 10), 0);
  size_t survived = 0;
  for (const std::string& k : hot)
    survived += store.lookup(k, kNoHeaders, kNow) ? 1 : 0;
  EXPECT_GE(survived, 60u) << "the scan evicted the hot set";
}

TEST(CacheStore, PurgeRemovesEveryVariantAndRefusesFillsThatStartedBefore) {
  CacheStore store(16 << 20, 1 << 20);
  store.insert(variant("http://h/a", "en"), 0);
  store.insert(variant("http://h/a", "fr"), 0);
  const uint64_t before = store.epoch();
  EXPECT_EQ(store.purge("http://h/a"), 2u);
  EXPECT_EQ(store.objectCount(), 0u);
  // A response fetched before the purge must not come back after it.
  EXPECT_FALSE(store.insert(object("http://h/a", 10), before));
  EXPECT_TRUE(store.insert(object("http://h/a", 10), store.epoch()));
}

TEST(CacheStore, BansByPathPrefixAndByTag) {
  CacheStore store(16 << 20, 1 << 20);
  store.insert(object("https://h/blog/1", 10), 0);
  store.insert(object("https://other/blog/2", 10), 0);
  ObjectDraft tagged = draft("https://h/about");
  tagged.tags = {"page", "team"};
  store.insert(pack(tagged, 10), 0);
  EXPECT_EQ(store.banTag("team"), 1u);
  EXPECT_EQ(store.banPathPrefix("/blog/"), 2u);
  EXPECT_EQ(store.objectCount(), 0u);
}

TEST(CacheStore, DropsObjectsPastFreshnessAndGraceOnLookup) {
  CacheStore store(16 << 20, 1 << 20);
  ObjectDraft o = draft("k");
  o.freshness_lifetime = 10;
  o.swr_window = 5;
  store.insert(pack(o, 10), 0);
  EXPECT_TRUE(store.lookup("k", kNoHeaders, kNow + 12));  // stale, in grace
  EXPECT_FALSE(store.lookup("k", kNoHeaders, kNow + 16));
  EXPECT_EQ(store.objectCount(), 0u);
  EXPECT_EQ(store.counters().expired.load(), 1u);
}

TEST(CacheStore, ObjectsSurviveEvictionWhileReferenced) {
  // (56 KiB bodies: a size class of their own, so that one fits a shard's 64 KiB with its head.)
  CacheStore store(1 << 20, 64 << 10);
  store.insert(object("http://h/keep", 56 << 10), 0);
  auto held = store.lookup("http://h/keep", kNoHeaders, kNow);
  ASSERT_TRUE(held);
  for (int i = 0; i < 1000; ++i)
    store.insert(object("http://h/" + std::to_string(i), 56 << 10), 0);
  EXPECT_EQ(held->body().size(), size_t{56 << 10});  // still readable: a hit being sent is safe
}

TEST(CacheStore, CoalescesFillsAndWakesEveryWaiterOnce) {
  CacheStore store(16 << 20, 1 << 20);
  std::vector<FillOutcome> woken;
  EXPECT_EQ(store.joinFill("k", [&](FillOutcome o, auto) { woken.push_back(o); }), 0u);  // filler
  EXPECT_NE(store.joinFill("k", [&](FillOutcome o, auto) { woken.push_back(o); }), 0u);
  EXPECT_NE(store.joinFill("k", [&](FillOutcome o, auto) { woken.push_back(o); }), 0u);
  EXPECT_EQ(store.joinFill("other", [&](FillOutcome o, auto) { woken.push_back(o); }), 0u);
  store.finishFill("k", FillOutcome::Stored);
  EXPECT_EQ(woken, (std::vector<FillOutcome>{FillOutcome::Stored, FillOutcome::Stored}));
  // The next miss for the key starts a new fill.
  EXPECT_EQ(store.joinFill("k", [](FillOutcome, auto) {}), 0u);
  store.finishFill("k", FillOutcome::NotStored);
  store.finishFill("other", FillOutcome::NotStored);
  EXPECT_EQ(woken.size(), 2u);
}

TEST(CacheStore, AWaiterThatLeftIsNeverWoken) {
  CacheStore store(16 << 20, 1 << 20);
  int woken = 0;
  ASSERT_EQ(store.joinFill("k", [](FillOutcome, auto) {}), 0u);
  const uint64_t gone = store.joinFill("k", [&](FillOutcome, auto) { woken += 100; });
  store.joinFill("k", [&](FillOutcome, auto) { woken += 1; });
  store.leaveFill("k", gone);
  store.finishFill("k", FillOutcome::Stored);
  EXPECT_EQ(woken, 1);
}

TEST(CacheStore, AStreamingFillWakesItsWaitersAtOnceAndThoseThatComeLater) {
  CacheStore store(16 << 20, 1 << 20);
  std::vector<std::pair<FillOutcome, FillStream*>> woken;
  auto wake = [&](FillOutcome o, std::shared_ptr<FillStream> s) { woken.emplace_back(o, s.get()); };
  ASSERT_EQ(store.joinFill("k", wake), 0u);
  store.joinFill("k", wake);
  auto stream = std::make_shared<FillStream>(CachedObject::make(ObjectDraft()), 10);
  store.streamFill("k", stream);
  ASSERT_EQ(woken.size(), 1u);  // before a byte of the body
  EXPECT_EQ(woken[0], std::make_pair(FillOutcome::Streaming, stream.get()));
  const uint64_t late = store.joinFill("k", wake);  // after the head: follows the stream at once
  EXPECT_NE(late, 0u);
  ASSERT_EQ(woken.size(), 2u);
  EXPECT_EQ(woken[1], std::make_pair(FillOutcome::Streaming, stream.get()));
  store.leaveFill("k", late);                  // harmless: it was never on the list
  store.finishFill("k", FillOutcome::Stored);  // they follow the stream, not the outcome
  EXPECT_EQ(woken.size(), 2u);
  EXPECT_EQ(store.joinFill("k", wake), 0u);  // the next miss fills anew
}

TEST(CacheStore, APurgeOfAnotherUrlDoesNotRefuseAFill) {
  CacheStore store(16 << 20, 1 << 20);
  const uint64_t began = store.epoch();
  store.purge("http://h/other");
  EXPECT_TRUE(store.insert(object("http://h/a", 10), began));
  // A ban may match anything: fills that began before it are refused.
  const uint64_t before_ban = store.epoch();
  store.banPathPrefix("/zzz/");
  EXPECT_FALSE(store.insert(object("http://h/b", 10), before_ban));
}

TEST(CacheStore, ReplacedAndPurgedBodiesAreFreedAtOnce) {
  CacheStore store(16 << 20, 1 << 20);
  auto first = object("http://h/a", 1000);
  std::weak_ptr<const CachedObject> first_body = first;
  store.insert(std::move(first), 0);
  store.insert(object("http://h/a", 1000), 0);  // a refresh replaces it
  EXPECT_TRUE(first_body.expired());
  auto second = store.lookup("http://h/a", kNoHeaders, kNow);
  std::weak_ptr<const CachedObject> second_body = second;
  second.reset();
  store.purge("http://h/a");
  EXPECT_TRUE(second_body.expired());
}

TEST(CacheStore, AMarkerNeverDisplacesRealVariantsAndAnswersOnlyWhatNoneDoes) {
  CacheStore store(16 << 20, 1 << 20);
  store.insert(variant("k", "en"), 0);
  store.insert(marker("k"), 0);
  EXPECT_EQ(store.objectCount(), 2u);
  EXPECT_FALSE(store.lookup("k", asking("en"), kNow)->hit_for_pass);
  EXPECT_TRUE(store.lookup("k", asking("fr"), kNow)->hit_for_pass);
}

TEST(CacheStore, OneBackgroundRefreshPerKey) {
  CacheStore store(16 << 20, 1 << 20);
  EXPECT_TRUE(store.beginRefresh("k"));
  EXPECT_FALSE(store.beginRefresh("k"));
  store.endRefresh("k");
  EXPECT_TRUE(store.beginRefresh("k"));
}

TEST(CacheStore, AHitForPassMarkerGivesWayToARealObject) {
  CacheStore store(16 << 20, 1 << 20);
  store.insert(marker("k"), 0);
  EXPECT_TRUE(store.lookup("k", kNoHeaders, kNow)->hit_for_pass);
  store.insert(object("k", 10), 0);
  EXPECT_FALSE(store.lookup("k", kNoHeaders, kNow)->hit_for_pass);
  EXPECT_EQ(store.objectCount(), 1u);
}

TEST(CacheStore, FindsEachVariantByItsVaryKey) {
  CacheStore store(16 << 20, 1 << 20);
  for (const char* v : {"a", "b", "c"})
    ASSERT_TRUE(store.insert(variant("k", v), 0));
  for (const char* v : {"a", "b", "c"}) {
    auto found = store.lookup("k", asking(v), kNow);
    ASSERT_TRUE(found) << v;
    EXPECT_EQ(found->varyKey(), varyKey({"x-variant"}, asking(v)));
  }
  EXPECT_FALSE(store.lookup("k", asking("d"), kNow));
  EXPECT_FALSE(store.lookup("k", kNoHeaders, kNow)) << "absent differs from every value";
}

TEST(CacheStore, AResponseUnderAnotherVaryReplacesEveryVariant) {
  CacheStore store(16 << 20, 1 << 20);
  store.insert(variant("k", "a"), 0);
  store.insert(variant("k", "b"), 0);
  ASSERT_TRUE(store.insert(object("k", 10), 0));  // no Vary any more
  EXPECT_EQ(store.objectCount(), 1u);
  EXPECT_TRUE(store.lookup("k", asking("a"), kNow));
}

// Issue 15 item 6: junk values of a Vary'd field made unbounded variants of one URL.
TEST(CacheStore, KeepsAtMostMaxVariantsPerUrl) {
  CacheStore store(16 << 20, 1 << 20, /*max_variants=*/2);
  EXPECT_TRUE(store.insert(variant("k", "a"), 0));
  EXPECT_TRUE(store.insert(variant("k", "b"), 0));
  EXPECT_FALSE(store.hasRoomFor(variantDraft("k", "c"))) << "asked before a fill copies the body";
  EXPECT_TRUE(store.hasRoomFor(variantDraft("k", "a")));
  EXPECT_FALSE(store.insert(variant("k", "c"), 0));
  EXPECT_EQ(store.counters().variant_limit.load(), 2u);
  EXPECT_TRUE(store.insert(variant("k", "a"), 0)) << "a refresh of a kept variant";
  EXPECT_TRUE(store.insert(variant("other", "c"), 0)) << "the cap is per URL";
  EXPECT_EQ(store.objectCount(), 3u);
  EXPECT_FALSE(store.lookup("k", asking("c"), kNow));
  store.setLimits(16 << 20, 1 << 20, 3);
  EXPECT_TRUE(store.insert(variant("k", "c"), 0));
}

// Issue 14, defect 6: what read-only kept past the origin's freshness outlived the mode.
TEST(CacheStore, EndReadOnlyDropsWhatItKeptAndRefusesFillsThatBeganBefore) {
  CacheStore store(16 << 20, 1 << 20);
  ObjectDraft kept = draft("http://h/news");
  kept.read_only_extended = true;
  store.insert(pack(kept, 10), 0);
  store.insert(object("http://h/about", 10), 0);
  const uint64_t began = store.epoch();
  EXPECT_EQ(store.endReadOnly(), 1u);
  EXPECT_FALSE(store.lookup("http://h/news", kNoHeaders, kNow));
  EXPECT_TRUE(store.lookup("http://h/about", kNoHeaders, kNow));
  ObjectDraft late = draft("http://h/late");
  late.read_only_extended = true;
  EXPECT_FALSE(store.insert(pack(late, 10), began))
      << "its lifetime was given while the mode was on";
  EXPECT_EQ(store.counters().read_only_ends.load(), 1u);
}

TEST(CacheStore, CountsOperatorPurgesApartFromTheDataPathsInvalidations) {
  CacheStore store(16 << 20, 1 << 20);
  store.insert(object("http://h/a", 10), 0);
  store.insert(object("http://h/b", 10), 0);
  EXPECT_EQ(store.purge("http://h/a"), 1u);
  EXPECT_EQ(store.invalidate("http://h/b"), 1u);
  store.banTag("t");
  EXPECT_EQ(store.counters().purges.load(), 1u);
  EXPECT_EQ(store.counters().bans.load(), 1u);
  EXPECT_EQ(store.counters().purged.load(), 2u);
}

}  // namespace
}  // namespace gatehouse::cache
