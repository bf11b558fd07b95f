#include "proxy/upstream/hold_queue.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace gatehouse::upstream {
namespace {

struct Waiter final : HoldQueue::Waiter {
  std::function<void()> on_wake;
  void onHoldWake() override { on_wake(); }
};

TEST(HoldQueue, WakesOldestFirstAndKeepsThoseThatStay) {
  HoldQueue q;
  std::string order;
  Waiter a, b, c;
  a.on_wake = [&] { order += 'a'; };
  b.on_wake = [&] {
    order += 'b';
    q.remove(&b);  // got a server
  };
  c.on_wake = [&] { order += 'c'; };
  q.add(&a);
  q.add(&b);
  q.add(&c);
  q.wakeAll();
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_TRUE(q.contains(&a));
  EXPECT_FALSE(q.contains(&b));
}

TEST(HoldQueue, AWaiterRemovedByAnEarlierOneIsNotWoken) {
  HoldQueue q;
  std::string order;
  Waiter a, b;
  a.on_wake = [&] {
    order += 'a';
    q.remove(&a);
    q.remove(&b);  // e.g. a's work ended b's exchange
  };
  b.on_wake = [&] { order += 'b'; };
  q.add(&a);
  q.add(&b);
  q.wakeAll();
  EXPECT_EQ(order, "a");
  EXPECT_EQ(q.size(), 0u);
}

TEST(HoldQueue, AWaiterAddedDuringAWakeWaitsForTheNextOne) {
  HoldQueue q;
  int woken = 0;
  Waiter a, late;
  late.on_wake = [&] { ++woken; };
  a.on_wake = [&] {
    ++woken;
    q.remove(&a);
    q.add(&late);
  };
  q.add(&a);
  q.wakeAll();
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(q.contains(&late));
}

}  // namespace
}  // namespace gatehouse::upstream
