// ActiveChecker: check outcomes through rise/fall to the server's health, with checks answered
// by hand (no socket) and transition times from a FakeClock. The checks' interval is 1 ms of
// the loop's time, so each wait below is a bounded loop run, never a sleep.

#include "health/active_checker.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "tests/support/fake_clock.h"
#include "tests/support/loop_runner.h"

namespace gatehouse::health {
namespace {

// The checks the checker started, answered in order by the test.
class ScriptedChecks {
 public:
  StartCheck starter() {
    return [this](const Server& server, CheckDone done) -> std::unique_ptr<Check> {
      auto pending = std::make_shared<Pending>(Pending{&server, std::move(done)});
      pending_.push_back(pending);
      ++started_;
      return std::make_unique<Handle>(pending);
    };
  }
  size_t started() const { return started_; }
  // The oldest check still waiting for its outcome, if any.
  bool waiting() {
    while (!pending_.empty() && pending_.front()->cancelled)
      pending_.pop_front();
    return !pending_.empty();
  }
  void answer(int status) { report({status, {}}); }
  void fail(std::string why) { report({0, std::move(why)}); }

 private:
  struct Pending {
    const Server* server;  // the server checked
    CheckDone done;
    bool cancelled = false;
  };
  class Handle final : public Check {
   public:
    explicit Handle(std::shared_ptr<Pending> p) : pending_(std::move(p)) {}
    ~Handle() override { pending_->cancelled = true; }

   private:
    std::shared_ptr<Pending> pending_;
  };
  void report(CheckOutcome outcome) {
    ASSERT_TRUE(waiting());
    std::shared_ptr<Pending> p = pending_.front();
    pending_.pop_front();
    p->done(std::move(outcome));
  }

  std::deque<std::shared_ptr<Pending>> pending_;
  size_t started_ = 0;
};

class ActiveCheckerTest : public ::testing::Test {
 protected:
  ActiveCheckerTest() {
    config.path = "/health";
    config.interval = Duration(1);
    config.rise = 2;
    config.fall = 3;
  }

  void startChecking() {
    checker = std::make_unique<ActiveChecker>(
        loop, config, std::vector<std::shared_ptr<Server>>{server},
        [this](Server&, Health h) { transitions.push_back(h); }, clock, checks.starter());
  }
  // Runs the loop until the next check has started, then gives it `status` (0: `why`).
  void nextCheck(int status, std::string why = "connect failed") {
    ASSERT_TRUE(testing::runUntil(loop.base(), [&] { return checks.waiting(); }));
    clock.advance(std::chrono::milliseconds(2000));
    if (status != 0)
      checks.answer(status);
    else
      checks.fail(why);
  }

  testing::FakeClock clock;
  net::EventLoop loop;
  config::HealthCheckConfig config;
  std::shared_ptr<Server> server = std::make_shared<Server>("app", "a", net::SocketAddress{}, 10);
  ScriptedChecks checks;
  std::vector<Health> transitions;
  std::unique_ptr<ActiveChecker> checker;
};

TEST_F(ActiveCheckerTest, AnUpServerGoesDownAfterFallFailedChecks) {
  startChecking();
  nextCheck(0);
  nextCheck(0, "timed out");
  EXPECT_EQ(server->health(), Health::Up);
  EXPECT_TRUE(transitions.empty());
  nextCheck(0);
  EXPECT_EQ(server->health(), Health::Down);
  EXPECT_EQ(transitions, std::vector<Health>{Health::Down});
  EXPECT_EQ(server->checks_failed_total.load(), 3u);
  EXPECT_EQ(server->went_down_total.load(), 1u);
}

TEST_F(ActiveCheckerTest, APassResetsTheFailuresInARow) {
  startChecking();
  nextCheck(0);
  nextCheck(0);
  nextCheck(200);
  nextCheck(0);
  nextCheck(0);
  EXPECT_EQ(server->health(), Health::Up);
  nextCheck(0);
  EXPECT_EQ(server->health(), Health::Down);
}

TEST_F(ActiveCheckerTest, ADownServerComesBackAfterRisePassedChecks) {
  server->setHealth(Health::Down, clock.now());
  startChecking();
  nextCheck(204);
  EXPECT_EQ(server->health(), Health::Down);
  nextCheck(301);
  EXPECT_EQ(server->health(), Health::Up);
  EXPECT_EQ(transitions, std::vector<Health>{Health::Up});
  EXPECT_EQ(server->checks_passed_total.load(), 2u);
}

TEST_F(ActiveCheckerTest, AStatusOutsideExpectFails) {
  config.fall = 1;
  config.expect = {config::StatusRange{200, 299}};
  startChecking();
  nextCheck(302);
  EXPECT_EQ(server->health(), Health::Down);
  EXPECT_EQ(server->checks_failed_total.load(), 1u);
}

TEST_F(ActiveCheckerTest, APassivelyEjectedServerNeedsRisePassesToComeBack) {
  startChecking();
  nextCheck(200);
  server->setHealth(Health::Down, clock.now());  // live traffic ejected it meanwhile
  nextCheck(200);
  EXPECT_EQ(server->health(), Health::Down) << "one pass is not enough";
  nextCheck(200);
  EXPECT_EQ(server->health(), Health::Up);
}

TEST_F(ActiveCheckerTest, TheServerComesBackAtTheCheckersTime) {
  server->setSlowStart(Duration(10000));
  server->setHealth(Health::Down, clock.now());
  startChecking();
  nextCheck(200);
  nextCheck(200);
  ASSERT_EQ(server->health(), Health::Up);
  EXPECT_NEAR(server->rampFactor(clock.now() + std::chrono::seconds(5)), 0.5, 1e-9)
      << "the slow-start ramp starts when the checker's clock says it came back";
}

TEST_F(ActiveCheckerTest, ACheckInFlightIsCancelledWithTheChecker) {
  startChecking();
  ASSERT_TRUE(testing::runUntil(loop.base(), [&] { return checks.waiting(); }));
  checker.reset();
  EXPECT_FALSE(checks.waiting()) << "no outcome is expected any more";
  EXPECT_EQ(checks.started(), 1u);
}

}  // namespace
}  // namespace gatehouse::health
