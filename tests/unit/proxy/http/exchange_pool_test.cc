// ExchangePool: finished exchanges kept per worker thread, taken back only after the callback
// that finished them, at most kKeep of them, and never one whose head grew large.
#include "proxy/http/exchange_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "proxy/net/event_loop.h"
#include "tests/support/fake_downstream.h"
#include "tests/support/loop_runner.h"

namespace gatehouse::http {
namespace {

class ExchangePoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Other tests of this binary ran on this thread: start from an empty pool.
    while (ExchangePool::keptOnThisThread() > 0)
      ExchangePool::take(client_, down_);
  }
  // Gives `exchange` back from inside a callback of the loop, and runs the loop until the
  // release is done (a release deferred after it has run).
  void giveBackAndReap(std::unique_ptr<Exchange> exchange) {
    const size_t before = ExchangePool::keptOnThisThread();
    bool reaped = false;
    loop_.post([&] {
      ExchangePool::giveBack(loop_, std::move(exchange));
      kept_inside_ = ExchangePool::keptOnThisThread() > before;
      loop_.deferRelease(&reaped, [](void* flag) { *static_cast<bool*>(flag) = true; });
    });
    gatehouse::testing::runUntil(
        loop_.base(), [&] { return reaped; }, std::chrono::seconds(5));
    ASSERT_TRUE(reaped);
  }

  net::EventLoop loop_;
  testing::FakeDownstream down_;
  ClientInfo client_{"192.0.2.1", 4000, false, "HTTP/1.1", 0};
  bool kept_inside_ = true;
};

TEST_F(ExchangePoolTest, AFinishedExchangeIsTakenBackAfterItsCallbackAndReused) {
  std::unique_ptr<Exchange> first = ExchangePool::take(client_, down_);
  first->request().target = "/a";
  Exchange* raw = first.get();
  giveBackAndReap(std::move(first));
  EXPECT_FALSE(kept_inside_) << "not while the callback that finished it runs";
  ASSERT_EQ(ExchangePool::keptOnThisThread(), 1u);
  std::unique_ptr<Exchange> next = ExchangePool::take(client_, down_);
  EXPECT_EQ(next.get(), raw);
  EXPECT_EQ(ExchangePool::keptOnThisThread(), 0u);
}

TEST_F(ExchangePoolTest, AnExchangeWithALargeHeadIsNotKept) {
  std::unique_ptr<Exchange> big = ExchangePool::take(client_, down_);
  big->request().headers.add("cookie", std::string(ExchangePool::kKeepBytes, 'c'));
  giveBackAndReap(std::move(big));
  EXPECT_EQ(ExchangePool::keptOnThisThread(), 0u);
  // A small one is kept (the rule is not "never").
  giveBackAndReap(ExchangePool::take(client_, down_));
  EXPECT_EQ(ExchangePool::keptOnThisThread(), 1u);
}

// What counts is the room the strings keep, not what the last request put in them: a long
// field written over by a short one (a head written in place) leaves its room behind.
TEST_F(ExchangePoolTest, RoomLeftByALongFieldCountsThoughTheFieldIsShortNow) {
  std::unique_ptr<Exchange> e = ExchangePool::take(client_, down_);
  e->request().headers.add("cookie", std::string(ExchangePool::kKeepBytes, 'c'));
  struct Field {
    std::string_view name, value;
  };
  const std::vector<Field> short_fields = {{"accept", "*/*"}};
  e->request().headers.assign(short_fields);
  ASSERT_EQ(e->request().headers.get("accept"), "*/*");
  EXPECT_GT(e->retainedBytes(), ExchangePool::kKeepBytes);
  giveBackAndReap(std::move(e));
  EXPECT_EQ(ExchangePool::keptOnThisThread(), 0u);
}

TEST_F(ExchangePoolTest, KeepsAtMostKKeep) {
  std::vector<std::unique_ptr<Exchange>> many;
  for (size_t i = 0; i < ExchangePool::kKeep + 6; ++i)
    many.push_back(ExchangePool::take(client_, down_));
  bool done = false;
  loop_.post([&] {
    for (auto& e : many)
      ExchangePool::giveBack(loop_, std::move(e));
    done = true;
  });
  gatehouse::testing::runUntil(
      loop_.base(), [&] { return done && ExchangePool::keptOnThisThread() > 0; },
      std::chrono::seconds(1));
  EXPECT_EQ(ExchangePool::keptOnThisThread(), ExchangePool::kKeep);
}

}  // namespace
}  // namespace gatehouse::http
