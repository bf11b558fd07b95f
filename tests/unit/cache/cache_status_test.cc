#include "cache/cache_status.h"

#include <gtest/gtest.h>

namespace gatehouse::cache {
namespace {

TEST(CacheStatus, FormatsTheRfc9211Parameters) {
  CacheStatus hit;
  hit.hit = true;
  hit.ttl = 42;
  EXPECT_EQ(hit.format().view(), "gatehouse; hit; ttl=42");

  CacheStatus stale;
  stale.hit = true;
  stale.ttl = -3;
  stale.detail = "stale-while-revalidate";
  EXPECT_EQ(stale.format().view(), "gatehouse; hit; ttl=-3; detail=stale-while-revalidate");

  CacheStatus miss;
  miss.fwd = CacheStatus::Fwd::UriMiss;
  miss.fwd_status = 200;
  miss.stored = true;
  miss.collapsed = true;
  EXPECT_EQ(miss.format().view(), "gatehouse; fwd=uri-miss; fwd-status=200; stored; collapsed");

  CacheStatus bypass;
  bypass.fwd = CacheStatus::Fwd::Bypass;
  EXPECT_EQ(bypass.format().view(), "gatehouse; fwd=bypass");
}

TEST(CacheStatus, FormatsOverWhatTheBufferHeld) {
  InlineBuffer<128> out;
  out.append(std::string(200, 'x'));  // spilled to the heap
  CacheStatus hit;
  hit.hit = true;
  hit.ttl = 7;
  hit.formatInto(out);
  EXPECT_EQ(out.view(), "gatehouse; hit; ttl=7");
  hit.formatInto(out);
  EXPECT_EQ(out.view(), hit.format().view());
}

}  // namespace
}  // namespace gatehouse::cache
