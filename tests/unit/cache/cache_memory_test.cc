// gatehouse_cache_bytes must follow the memory the cache really takes (issue 15: within 5% of the
// RSS growth). The store's charge is the allocator's own sizes, so it is held here to what
// jemalloc counts as allocated (stats.allocated, via mallctl) while objects are stored and
// dropped. unit_cache links jemalloc where the gatehouse binary does; elsewhere (sanitizer
// builds) this skips.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "cache/cache_store.h"

extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace gatehouse::cache {
namespace {

constexpr int64_t kNow = 1700000000;

// Bytes the process has allocated, as jemalloc counts them (its statistics refreshed first).
uint64_t allocatedBytes() {
  uint64_t epoch = 1;
  size_t length = sizeof(epoch);
  mallctl("epoch", &epoch, &length, &epoch, length);
  size_t allocated = 0;
  length = sizeof(allocated);
  mallctl("stats.allocated", &allocated, &length, nullptr, 0);
  return allocated;
}

// A response as nginx sends a static file (what bench/cache.sh stores), with `body` bytes.
ObjectDraft draft(int i) {
  ObjectDraft d;
  d.key = "http://127.0.0.1:8080/1k.bin?i=" + std::to_string(i);
  http::HeaderMap fields;
  fields.add("Server", "nginx/1.22.1");
  fields.add("Date", "Sun, 06 Dec 2026 06:18:13 GMT");
  fields.add("Content-Type", "application/octet-stream");
  fields.add("Last-Modified", "Sun, 06 Dec 2026 06:10:00 GMT");
  fields.add("ETag", "\"6933d6f8-400\"");
  fields.add("Cache-Control", "max-age=3600");
  d.fields = http::FieldLines(fields);
  d.etag = "\"6933d6f8-400\"";
  d.last_modified = "Sun, 06 Dec 2026 06:10:00 GMT";
  d.reason = "OK";
  d.response_time = kNow;
  d.freshness_lifetime = 3600;
  return d;
}

// Mostly 1 KiB bodies, and some of other sizes: inline, in a block of their own, and large
// ones kept as the fill's shared buffer.
size_t bodySize(int i) {
  switch (i % 10) {
    case 7:
      return 100 + i % 700;
    case 8:
      return 3000 + i % 5000;
    case 9:
      return i % 50 == 9 ? CachedObject::kPackedBodyMax + 1000 : 20000;
    default:
      return 1024;
  }
}

void storeObjects(CacheStore& store, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    const ObjectDraft d = draft(i);
    auto body = std::make_shared<const Body>(bodySize(i), 'x');
    ASSERT_TRUE(
        store.insert(CachedObject::make(d, std::string_view(body->data(), body->size()), body), 0));
  }
}

TEST(CacheMemory, TheChargeIsWhatTheAllocatorHandedOut) {
  if (!mallctl) GTEST_SKIP() << "jemalloc is not linked into this test";
  CacheStore store(uint64_t{4} << 30, 1 << 20);
  storeObjects(store, 0, 100);  // the first buckets and queues exist
  const uint64_t charged_before = store.bytesUsed();
  const uint64_t allocated_before = allocatedBytes();
  storeObjects(store, 100, 10000);
  const double charged = static_cast<double>(store.bytesUsed() - charged_before);
  const double allocated = static_cast<double>(allocatedBytes() - allocated_before);
  EXPECT_NEAR(charged, allocated, allocated * 0.05)
      << "gatehouse_cache_bytes drifted from the memory the objects take";
  // And dropped objects give back what they were charged.
  const uint64_t allocated_full = allocatedBytes();
  const uint64_t charged_full = store.bytesUsed();
  store.banPathPrefix("/");
  EXPECT_EQ(store.bytesUsed(), 0u);
  const double freed = static_cast<double>(allocated_full - allocatedBytes());
  EXPECT_NEAR(freed, static_cast<double>(charged_full), charged_full * 0.05);
}

// Issue 15's bound: a stored 1 KiB object (the bench's) costs at most 1,536 bytes, all told.
TEST(CacheMemory, AOneKibObjectCostsAtMostOneAndAHalfKib) {
  CacheStore store(uint64_t{1} << 30, 1 << 20);
  const ObjectDraft d = draft(12345);
  const std::string body(1024, 'x');
  auto object = CachedObject::make(d, body);
  EXPECT_LE(object->charge, 1536u);
  if (!mallctl) return;
  const uint64_t before = allocatedBytes();
  for (int i = 0; i < 2000; ++i)
    ASSERT_TRUE(store.insert(CachedObject::make(draft(20000 + i), body), 0));
  EXPECT_LE((allocatedBytes() - before) / 2000, 1536u);
}

}  // namespace
}  // namespace gatehouse::cache
