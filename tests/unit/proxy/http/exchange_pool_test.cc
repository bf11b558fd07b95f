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
  // Gives `exchange` back from inside a callback of the loop, and runs the loop until the pool
  // has it (or a second passed).
  void giveBackAndReap(std::unique_ptr<Exchange> exchange) {
    const size_t before = ExchangePool::keptOnThisThread();
    bool posted = false;
    loop_.post([&] {
      ExchangePool::giveBack(loop_, std::move(exchange));
      kept_inside_ = ExchangePool::keptOnThisThread() > before;
      posted = true;
    });
    gatehouse::testing::runUntil(
        loop_.base(), [&] { return posted && ExchangePool::keptOnThisThread() != before; },
        std::chrono::seconds(1));
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
  big->request().headers.add("cookie", std::string(ExchangePool::kKeepHeadBytes, 'c'));
  giveBackAndReap(std::move(big));
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
