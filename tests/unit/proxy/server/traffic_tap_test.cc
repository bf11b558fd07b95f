// TrafficTap: what a worker publishes comes out of a drain field for field; long fields are
// cut; a full ring drops and counts; drained storage goes back to the ring.
#include "proxy/server/traffic_tap.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/fake_downstream.h"

namespace gatehouse::server {
namespace {

// An exchange as a worker hands it to the tap when it ends.
struct Published : testing::FakeExchange {
  explicit Published(std::string target)
      : FakeExchange(head(std::move(target)), http::ClientInfo{"192.0.2.7", 40000, false}) {
    exchange.record().status = 503;
    exchange.record().bytes_sent = 42;
    exchange.record().server = "app/app1";
    exchange.record().cache_status.assign("gatehouse; fwd=uri-miss");
  }
  static http::RequestHead head(std::string target) {
    http::RequestHead r;
    r.method = "GET";
    r.target = std::move(target);
    r.authority = "example.com";
    return r;
  }
};

const ExchangeEnd kEnd =
    ExchangeEnd::at(std::chrono::system_clock::time_point(std::chrono::milliseconds(1764000000123)),
                    std::chrono::microseconds(1500));

TEST(TrafficTap, ADrainGivesBackEveryFieldPublished) {
  TrafficTap tap;
  Published p("/a?b=1");
  tap.publish(p.exchange, kEnd, 0);
  tap.publish(p.exchange, kEnd, 0);
  TapBatch batch;
  tap.drain(batch);
  ASSERT_EQ(batch.size(), 2u);
  const TapEntry e = batch[1];
  EXPECT_EQ(e.time_ms, 1764000000123);
  EXPECT_EQ(e.client, "192.0.2.7");
  EXPECT_EQ(e.method, "GET");
  EXPECT_EQ(e.host, "example.com");
  EXPECT_EQ(e.target, "/a?b=1");
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.bytes, 42u);
  EXPECT_EQ(e.duration_us, 1500u);
  EXPECT_EQ(e.server, "app/app1");
  EXPECT_EQ(e.cache, "gatehouse; fwd=uri-miss");
  tap.drain(batch);
  EXPECT_TRUE(batch.empty());
}

TEST(TrafficTap, ADrainGathersEveryWorkersShard) {
  TrafficTap tap;
  Published a("/from-worker-0");
  Published b("/from-worker-3");
  tap.publish(a.exchange, kEnd, 0);
  tap.publish(b.exchange, kEnd, 3);
  tap.publish(a.exchange, kEnd, 0);
  TapBatch batch;
  tap.drain(batch);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].target, "/from-worker-0");
  EXPECT_EQ(batch[1].target, "/from-worker-0");
  EXPECT_EQ(batch[2].target, "/from-worker-3");  // the text offsets of the second shard moved
  EXPECT_EQ(batch[2].server, "app/app1");
}

TEST(TrafficTap, ADrainOrdersTheShardsEntriesByTheirEnd) {
  // A 503 served by worker 3, then a 502 by worker 0 (a shard drained first) 300 us later.
  TrafficTap tap;
  Published first("/503");
  Published second("/502");
  const auto wall = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764000000123));
  tap.publish(second.exchange, ExchangeEnd::at(wall + std::chrono::microseconds(300), {}), 0);
  tap.publish(first.exchange, ExchangeEnd::at(wall, {}), 3);
  TapBatch batch;
  tap.drain(batch);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].target, "/503");
  EXPECT_EQ(batch[1].target, "/502");
  EXPECT_EQ(batch[1].server, "app/app1");  // the slots moved with their text
}

TEST(TrafficTap, CutsAHugeTarget) {
  TrafficTap tap;
  Published p("/" + std::string(10000, 'x'));
  tap.publish(p.exchange, kEnd, 0);
  TapBatch batch;
  tap.drain(batch);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].target.size(), TrafficTap::kFieldMax);
  EXPECT_EQ(batch[0].server, "app/app1");  // the fields after it are intact
}

TEST(TrafficTap, AFullRingDropsAndCounts) {
  TrafficTap tap;
  Published p("/");
  for (size_t i = 0; i < TrafficTap::kCapacity + 5; ++i)
    tap.publish(p.exchange, kEnd, 0);
  EXPECT_EQ(tap.dropped_total.load(), 5u);
  TapBatch batch;
  tap.drain(batch);
  EXPECT_EQ(batch.size(), TrafficTap::kCapacity);
}

}  // namespace
}  // namespace gatehouse::server
