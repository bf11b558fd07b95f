// UpstreamHandler when no server can take a request (the pool's `hold`), and the gate's second
// look (read-only mode) just before a request that waited reaches a backend.
#include <gtest/gtest.h>

#include <string>

#include "proxy/upstream/upstream_handler.h"
#include "tests/unit/proxy/upstream/upstream_handler_test_support.h"

namespace gatehouse::upstream {
namespace {

config::BackendConfig holding(Duration hold, uint32_t hold_max = 100) {
  config::BackendConfig config;
  config.hold = hold;
  config.hold_max = hold_max;
  return config;
}

constexpr Duration kLongHold{60000};  // never runs out within a test

TEST_F(UpstreamHandlerTest, HoldsARequestUntilAServerComesBack) {
  usePool(holding(kLongHold));
  server("a").setAdminState(health::AdminState::Maintenance);
  Client& c = start(request());
  EXPECT_EQ(connector.attempts(), 0u);
  EXPECT_EQ(c.downstream().heads, 0);
  EXPECT_EQ(connections.holdQueue().size(), 1u);
  EXPECT_EQ(pool->state().holding, 1);
  EXPECT_EQ(pool->state().hold_waits_total, 1u);

  server("a").setAdminState(health::AdminState::Ready);
  connections.onBackendsChanged();  // what the main loop posts
  EXPECT_EQ(connections.holdQueue().size(), 0u);
  EXPECT_EQ(pool->state().holding, 0);
  EXPECT_EQ(pool->state().hold_resumed_total, 1u);
  ASSERT_EQ(connector.attempts(), 1u);
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  backend.send(okResponse("back"));
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "back");
}

TEST_F(UpstreamHandlerTest, KeepsHoldingWhenWokenWhileStillNoServerIsAvailable) {
  usePool(holding(kLongHold));
  pool->state().paused = true;
  Client& c = start(request());
  connections.onBackendsChanged();
  EXPECT_EQ(connections.holdQueue().size(), 1u);
  EXPECT_EQ(connector.attempts(), 0u);
  EXPECT_EQ(c.downstream().heads, 0);

  pool->state().paused = false;
  connections.onBackendsChanged();
  EXPECT_EQ(connector.attempts(), 1u);
  EXPECT_EQ(pool->state().hold_waits_total, 1u);  // one wait, however many wake-ups
}

TEST_F(UpstreamHandlerTest, AnswersServiceUnavailableWhenTheHoldRunsOut) {
  usePool(holding(Duration(5)));
  server("a").setAdminState(health::AdminState::Maintenance);  // up: an operator may ready it
  Client& c = start(request());
  ASSERT_EQ(connections.holdQueue().size(), 1u);
  ASSERT_TRUE(testing::runUntil(base(), [&] { return c.downstream().finished(); }));
  EXPECT_EQ(c.downstream().status(), 503);
  EXPECT_EQ(c.downstream().head->headers.get("retry-after"), "5");
  EXPECT_EQ(connections.holdQueue().size(), 0u);
  EXPECT_EQ(pool->state().holding, 0);
  EXPECT_EQ(pool->state().hold_timeouts_total, 1u);
  EXPECT_EQ(pool->state().unavailable_total, 1u);
}

// Issue 17: `hold` is for pauses and deploys; with every server down there is nothing to wait
// for, and waiting the whole hold (10 s by default) per request helped nobody.
TEST_F(UpstreamHandlerTest, AnswersAtOnceWhenEveryServerIsDown) {
  usePool(holding(kLongHold));
  server("a").setHealth(health::Health::Down);
  Client& c = start(request());
  EXPECT_EQ(c.downstream().status(), 503);
  EXPECT_EQ(c.downstream().head->headers.get("retry-after"), "5");
  EXPECT_EQ(connections.holdQueue().size(), 0u);
  EXPECT_EQ(pool->state().hold_skipped_total, 1u);
  EXPECT_EQ(pool->state().hold_waits_total, 0u);
  EXPECT_EQ(pool->state().unavailable_total, 1u);
}

TEST_F(UpstreamHandlerTest, HoldsWhenEveryServerIsDownButOneIsDrainingOrThePoolIsPaused) {
  usePool(holding(kLongHold));
  server("a").setHealth(health::Health::Down);
  server("a").setAdminState(health::AdminState::Draining);  // a deploy under way
  start(request());
  EXPECT_EQ(connections.holdQueue().size(), 1u);
  server("a").setAdminState(health::AdminState::Maintenance);
  pool->state().paused = true;
  start(request());
  EXPECT_EQ(connections.holdQueue().size(), 2u);
  EXPECT_EQ(pool->state().hold_skipped_total, 0u);
}

TEST_F(UpstreamHandlerTest, RefusesAtOnceWhenHoldMaxRequestsAreAlreadyWaiting) {
  usePool(holding(kLongHold, 1));
  pool->state().paused = true;
  Client& waiting = start(request());
  Client& refused = start(request());
  EXPECT_EQ(waiting.downstream().heads, 0);
  EXPECT_EQ(refused.downstream().status(), 503);
  EXPECT_EQ(pool->state().hold_overflows_total, 1u);
  EXPECT_EQ(pool->state().holding, 1);
}

TEST_F(UpstreamHandlerTest, AnswersAtOnceWhileThePoolIsPausedWithoutAHold) {
  usePool();
  pool->state().paused = true;
  Client& c = start(request());
  EXPECT_EQ(c.downstream().status(), 503);
  EXPECT_NE(c.downstream().body.find("paused"), std::string::npos) << c.downstream().body;
}

TEST_F(UpstreamHandlerTest, LeavesTheHoldQueueWhenTheClientGoes) {
  usePool(holding(kLongHold));
  pool->state().paused = true;
  Client& c = start(request());
  c.handler->onDownstreamReset();
  EXPECT_EQ(connections.holdQueue().size(), 0u);
  EXPECT_EQ(pool->state().holding, 0);
  pool->state().paused = false;
  connections.onBackendsChanged();
  EXPECT_EQ(connector.attempts(), 0u);
}

TEST_F(UpstreamHandlerTest, LeavesTheHoldQueueWhenDestroyedWhileHeld) {
  usePool(holding(kLongHold));
  pool->state().paused = true;
  start(request());
  clients.clear();
  EXPECT_EQ(connections.holdQueue().size(), 0u);
  EXPECT_EQ(pool->state().holding, 0);
}

TEST_F(UpstreamHandlerTest, BlocksARequestWhenReadOnlyModeCameOnWhileItWasConnecting) {
  usePool();
  Client& c = start(request("POST"));
  EXPECT_EQ(admission.asked, 0);
  admission.read_only = true;  // switched on while connecting
  FakeBackend& backend = connector.acceptLast();
  EXPECT_EQ(admission.asked, 1);
  EXPECT_EQ(c.downstream().status(), 503);
  EXPECT_EQ(server("a").inFlight(), 0);
  EXPECT_TRUE(waitForClose(backend));
  EXPECT_EQ(backend.received(), "");  // nothing reached the backend
  EXPECT_EQ(connections.idleCount(), 0u);
}

TEST_F(UpstreamHandlerTest, BlocksAHeldRequestWhenReadOnlyModeCameOnWhileItWaited) {
  usePool(holding(kLongHold));
  serveOnNewConnection();  // leaves a pooled connection: the wake-up goes straight to send
  FakeBackend& backend = *connector.last().backend;
  pool->state().paused = true;
  Client& c = start(request("DELETE"));
  admission.read_only = true;
  pool->state().paused = false;
  connections.onBackendsChanged();
  EXPECT_EQ(c.downstream().status(), 503);
  EXPECT_EQ(connections.holdQueue().size(), 0u);
  EXPECT_TRUE(waitForClose(backend));
  EXPECT_EQ(backend.heads(), 1u);  // only the first request's
}

TEST_F(UpstreamHandlerTest, DropsSetCookieFromResponsesWhileReadOnly) {
  usePool();
  Client& c = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  admission.read_only = true;  // GET still passes; no one may be logged in meanwhile
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: session=1\r\n\r\n");
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_FALSE(c.downstream().head->headers.has("set-cookie"));
}

}  // namespace
}  // namespace gatehouse::upstream
