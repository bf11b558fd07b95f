// UpstreamHandler retrying when that cannot go wrong (a refused connect, the keep-alive race)
// and not otherwise, and reporting failures to the server (passive checks).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "proxy/upstream/upstream_handler.h"
#include "tests/unit/proxy/upstream/upstream_handler_test_support.h"

namespace gatehouse::upstream {
namespace {

TEST_F(UpstreamHandlerTest, RetriesOnAnotherServerWhenTheConnectIsRefused) {
  usePool({}, 2);
  Client& c = start(request());
  const health::Server* refused = connector.attempt(0).server;
  connector.refuse(0);
  ASSERT_EQ(connector.attempts(), 2u);
  const health::Server* other = connector.attempt(1).server;
  EXPECT_NE(other, refused);

  FakeBackend& backend = connector.accept(1);
  ASSERT_TRUE(backend.waitForHeads(base()));
  backend.send(okResponse("from the other"));
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "from the other");
  EXPECT_EQ(c.exchange().record().server, other->label());
  EXPECT_EQ(refused->retries_total, 1u);
  EXPECT_EQ(refused->connect_failures_total, 1u);
  EXPECT_EQ(refused->inFlight(), 0);
  EXPECT_EQ(other->inFlight(), 0);
}

TEST_F(UpstreamHandlerTest, RetriesEvenAPostWhoseConnectFailedForNothingOfItWasSent) {
  usePool({}, 2);
  Client& c = start(requestWithBody("POST", 4));
  connector.refuse(0);
  ASSERT_EQ(connector.attempts(), 2u);
  EXPECT_EQ(c.downstream().resumes, 0);  // no body read yet
  FakeBackend& backend = connector.accept(1);
  EXPECT_EQ(c.downstream().resumes, 1);
  net::EvbufferPtr body = bufferOf("data");
  c.handler->onRequestBody(body.get());
  c.handler->onRequestEnd();
  ASSERT_TRUE(backend.waitFor(base(), [&] { return backend.received().ends_with("data"); }));
}

TEST_F(UpstreamHandlerTest, AnswersBadGatewayOnceTheRetriesAreSpent) {
  usePool({}, 3);  // retries: 1
  Client& c = start(request());
  connector.refuse(0);
  connector.refuse(1);
  EXPECT_EQ(connector.attempts(), 2u);
  EXPECT_EQ(c.downstream().status(), 502);
  for (const char* name : {"a", "b", "c"})
    EXPECT_EQ(server(name).inFlight(), 0) << name;
}

// The servers tried are kept inline up to 4 (the default retries: 1, so 2 tries) and beyond
// that on the heap: a pool with more retries never tries a server twice either way.
TEST_F(UpstreamHandlerTest, NeverRetriesOnAServerAlreadyTriedEvenPastTheInlineList) {
  config::BackendConfig config;
  config.retries = 6;
  usePool(config, 7);
  Client& c = start(request());
  std::set<const health::Server*> tried;
  for (size_t i = 0; i < 7; ++i) {
    ASSERT_EQ(connector.attempts(), i + 1);
    EXPECT_TRUE(tried.insert(connector.attempt(i).server).second) << "attempt " << i;
    connector.refuse(i);
  }
  EXPECT_EQ(connector.attempts(), 7u) << "the retries are spent";
  EXPECT_EQ(tried.size(), 7u);
  EXPECT_EQ(c.downstream().status(), 502);
}

TEST_F(UpstreamHandlerTest, AnswersBadGatewayWhenNoOtherServerIsLeftToRetryOn) {
  usePool({}, 1);
  Client& c = start(request());
  connector.refuse(0);
  EXPECT_EQ(connector.attempts(), 1u);
  EXPECT_EQ(c.downstream().status(), 502);
  EXPECT_EQ(server("a").inFlight(), 0);
}

TEST_F(UpstreamHandlerTest, RetriesAnIdempotentRequestWhenItsPooledConnectionClosesUnderIt) {
  usePool();
  serveOnNewConnection();
  FakeBackend& stale = *connector.last().backend;
  Client& c = start(request());
  ASSERT_TRUE(stale.waitForHeads(base(), 2));
  stale.close();  // the server timed the idle connection out just as the request went
  ASSERT_TRUE(testing::runUntil(base(), [&] { return connector.attempts() == 2; }));

  FakeBackend& fresh = connector.accept(1);
  ASSERT_TRUE(fresh.waitForHeads(base()));
  fresh.send(okResponse("fresh"));
  ASSERT_TRUE(waitForEnd(c, fresh));
  EXPECT_EQ(c.downstream().body, "fresh");
  EXPECT_EQ(server("a").inFlight(), 0);
}

TEST_F(UpstreamHandlerTest, RetriesTheKeepAliveRaceOnlyOnce) {
  usePool();
  // Two pooled connections to the one server: two requests at once, each on its own.
  Client& first = start(request());
  Client& second = start(request());
  FakeBackend& one = connector.accept(0);
  FakeBackend& two = connector.accept(1);
  ASSERT_TRUE(one.waitForHeads(base()));
  ASSERT_TRUE(two.waitForHeads(base()));
  one.send(okResponse("1"));
  two.send(okResponse("2"));
  ASSERT_TRUE(waitForEnd(first, one));
  ASSERT_TRUE(waitForEnd(second, two));
  ASSERT_EQ(connections.idleCount(), 2u);

  Client& c = start(request());
  ASSERT_TRUE(testing::runUntil(base(), [&] {
    one.pump();
    two.pump();
    return one.heads() + two.heads() == 3;
  }));
  FakeBackend& lent = one.heads() == 2 ? one : two;
  FakeBackend& other = &lent == &one ? two : one;
  lent.close();
  ASSERT_TRUE(other.waitForHeads(base(), 2));  // retried on the other pooled connection
  other.close();                               // ... which closes as well: no second retry
  ASSERT_TRUE(waitForEnd(c, other));
  EXPECT_EQ(c.downstream().status(), 502);
  EXPECT_EQ(connector.attempts(), 2u);
  EXPECT_EQ(server("a").inFlight(), 0);
}

TEST_F(UpstreamHandlerTest, DoesNotRetryANonIdempotentRequestWhenItsPooledConnectionCloses) {
  usePool();
  serveOnNewConnection();
  FakeBackend& stale = *connector.last().backend;
  Client& c = start(request("POST"));
  ASSERT_TRUE(stale.waitForHeads(base(), 2));
  stale.close();
  ASSERT_TRUE(waitForEnd(c, stale));
  EXPECT_EQ(c.downstream().status(), 502);
  EXPECT_EQ(connector.attempts(), 1u);  // the server may have acted on it: never sent twice
}

config::BackendConfig passiveChecks(uint32_t fall) {
  config::BackendConfig config;
  config.retries = 0;
  config.health.emplace();
  config.health->path = "/health";
  config.health->passive.fall = fall;
  config.health->passive.on_5xx = true;
  return config;
}

TEST_F(UpstreamHandlerTest, ReportsRefusedConnectsToTheServerUntilItIsEjected) {
  usePool(passiveChecks(2));
  start(request());
  connector.refuse(0);
  EXPECT_EQ(server("a").passive_failures_total, 1u);
  EXPECT_EQ(server("a").health(), health::Health::Up);

  start(request());
  connector.refuse(1);
  EXPECT_EQ(server("a").health(), health::Health::Down);
  EXPECT_EQ(server("a").ejections_total, 1u);

  Client& after = start(request());
  EXPECT_EQ(connector.attempts(), 2u);
  EXPECT_EQ(after.downstream().status(), 503);
}

TEST_F(UpstreamHandlerTest, ReportsServerErrorsAndTimeoutsToTheServer) {
  timeouts.response = Duration(20);
  usePool(passiveChecks(2));
  Client& failing = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  backend.send(okResponse("oops", 500));
  ASSERT_TRUE(waitForEnd(failing, backend));
  EXPECT_EQ(failing.downstream().status(), 500);  // passed on as it came
  EXPECT_EQ(server("a").passive_failures_total, 1u);
  EXPECT_EQ(server("a").health(), health::Health::Up);

  Client& slow = start(request());  // on the pooled connection; the backend says nothing
  ASSERT_TRUE(waitForEnd(slow, backend));
  EXPECT_EQ(slow.downstream().status(), 504);
  EXPECT_EQ(server("a").passive_failures_total, 2u);
  EXPECT_EQ(server("a").health(), health::Health::Down);
}

TEST_F(UpstreamHandlerTest, ASuccessClearsTheFailuresCountedTowardsEjection) {
  usePool(passiveChecks(2));
  for (int status : {500, 200, 500}) {
    Client& c = start(request());
    FakeBackend& backend = *connector.last().backend;
    if (connector.last().outcome == testing::FakeBackendConnector::Outcome::Pending)
      connector.acceptLast();
    ASSERT_TRUE(backend.waitForHeads(base(), clients.size()));
    backend.send(okResponse("", status));
    ASSERT_TRUE(waitForEnd(c, backend));
  }
  EXPECT_EQ(server("a").passive_failures_total, 2u);
  EXPECT_EQ(server("a").health(), health::Health::Up);
}

}  // namespace
}  // namespace gatehouse::upstream
