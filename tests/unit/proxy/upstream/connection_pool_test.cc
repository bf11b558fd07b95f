// ConnectionPool with real BackendConnections over socketpairs (FakeBackendConnector): what it
// keeps, what it lends again, and what it closes.
#include "proxy/upstream/connection_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/net/event_loop.h"
#include "tests/support/fake_backend.h"
#include "tests/unit/proxy/upstream/upstream_test_support.h"

namespace gatehouse::upstream {
namespace {

using testing::FakeBackend;

class ConnectionPoolTest : public ::testing::Test {
 protected:
  // A connection that has carried one whole exchange, ready to be released, and its server's
  // end.
  struct Served {
    std::unique_ptr<BackendConnection> conn;
    FakeBackend* backend;
  };
  Served serve(health::Server& server, std::string_view response = okResponse("ok")) {
    std::unique_ptr<BackendConnection> conn = pool.connect(loop, server, timeouts, user);
    FakeBackend* backend = &connector.acceptLast();
    http::RequestHead get;
    get.method = "GET";
    get.target = "/";
    conn->sendRequestHead(get);
    conn->sendEnd();
    const int ended = user.ended;
    backend->send(response);
    EXPECT_TRUE(backend->waitFor(loop.base(), [&] { return user.ended > ended; }));
    return {std::move(conn), backend};
  }
  // Runs the loop until `backend` sees the proxy close its end.
  bool closedByProxy(FakeBackend& backend) {
    return backend.waitFor(loop.base(), [&] { return backend.closedByProxy(); });
  }

  net::EventLoop loop;
  testing::FakeBackendConnector connector;
  ConnectionPool pool{connector};
  std::shared_ptr<health::Server> a =
      std::make_shared<health::Server>("app", "a", net::SocketAddress{}, 1);
  std::shared_ptr<health::Server> b =
      std::make_shared<health::Server>("app", "b", net::SocketAddress{}, 1);
  RecordingUser user;
  BackendConnection::Timeouts timeouts;
};

TEST_F(ConnectionPoolTest, LendsAReleasedConnectionAgainForTheSameServerOnly) {
  Served served = serve(*a);
  BackendConnection* raw = served.conn.get();
  pool.release(std::move(served.conn), 8);
  EXPECT_EQ(pool.idleCount(), 1u);

  EXPECT_EQ(pool.acquire(*b), nullptr);
  std::unique_ptr<BackendConnection> again = pool.acquire(*a);
  EXPECT_EQ(again.get(), raw);
  EXPECT_EQ(pool.reused_total, 1u);
  EXPECT_EQ(pool.idleCount(), 0u);
  BackendConnection::retire(std::move(again));
}

TEST_F(ConnectionPoolTest, LendsTheMostRecentlyUsedConnectionFirst) {
  Served older = serve(*a);
  Served newer = serve(*a);
  BackendConnection* raw_newer = newer.conn.get();
  pool.release(std::move(older.conn), 8);
  pool.release(std::move(newer.conn), 8);
  std::unique_ptr<BackendConnection> lent = pool.acquire(*a);
  EXPECT_EQ(lent.get(), raw_newer);
  BackendConnection::retire(std::move(lent));
}

TEST_F(ConnectionPoolTest, KeepsAtMostMaxIdleConnectionsPerServer) {
  std::vector<Served> served;
  for (int i = 0; i < 3; ++i)
    served.push_back(serve(*a));
  for (Served& s : served)
    pool.release(std::move(s.conn), 2);
  EXPECT_EQ(pool.idleCount(), 2u);
  EXPECT_TRUE(closedByProxy(*served[2].backend));
  EXPECT_FALSE(served[0].backend->closedByProxy());
  EXPECT_FALSE(served[1].backend->closedByProxy());
}

TEST_F(ConnectionPoolTest, ClosesAConnectionTheServerWillNotKeepInsteadOfPoolingIt) {
  Served served = serve(*a, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  pool.release(std::move(served.conn), 8);
  EXPECT_EQ(pool.idleCount(), 0u);
  EXPECT_TRUE(closedByProxy(*served.backend));
}

TEST_F(ConnectionPoolTest, ClosesAConnectionToADrainingServerInsteadOfPoolingIt) {
  Served served = serve(*a);
  a->setAdminState(health::AdminState::Draining);
  pool.release(std::move(served.conn), 8);
  EXPECT_EQ(pool.idleCount(), 0u);
  EXPECT_TRUE(closedByProxy(*served.backend));
}

TEST_F(ConnectionPoolTest, ForgetsAnIdleConnectionTheServerCloses) {
  Served served = serve(*a);
  pool.release(std::move(served.conn), 8);
  ASSERT_EQ(pool.idleCount(), 1u);
  served.backend->close();
  ASSERT_TRUE(testing::runUntil(loop.base(), [&] { return pool.idleCount() == 0; }));
  EXPECT_EQ(pool.acquire(*a), nullptr);
}

TEST_F(ConnectionPoolTest, ForgetsAnIdleConnectionOnWhichTheServerSpeaksUnasked) {
  Served served = serve(*a);
  pool.release(std::move(served.conn), 8);
  served.backend->send("HTTP/1.1 200 OK\r\n");
  ASSERT_TRUE(testing::runUntil(loop.base(), [&] { return pool.idleCount() == 0; }));
  EXPECT_TRUE(closedByProxy(*served.backend));
}

TEST_F(ConnectionPoolTest, CloseAllClosesTheIdleConnectionsAndRefusesThoseOpenedBefore) {
  Served idle = serve(*a);
  pool.release(std::move(idle.conn), 8);
  Served opened_before = serve(*a);
  const uint64_t generation = pool.generation();

  pool.closeAll();
  EXPECT_EQ(pool.generation(), generation + 1);
  EXPECT_EQ(pool.idleCount(), 0u);
  EXPECT_TRUE(closedByProxy(*idle.backend));

  pool.release(std::move(opened_before.conn), 8);  // of the old generation (a reload's)
  EXPECT_EQ(pool.idleCount(), 0u);
  EXPECT_TRUE(closedByProxy(*opened_before.backend));

  pool.release(serve(*a).conn, 8);  // opened after: pooled as usual
  EXPECT_EQ(pool.idleCount(), 1u);
}

TEST_F(ConnectionPoolTest, CloseUnavailableClosesOnlyTheIdleConnectionsOfServersTakenOut) {
  Served to_a = serve(*a);
  Served to_b = serve(*b);
  pool.release(std::move(to_a.conn), 8);
  pool.release(std::move(to_b.conn), 8);
  b->setAdminState(health::AdminState::Maintenance);

  EXPECT_EQ(pool.closeUnavailable(), 1u);
  EXPECT_EQ(pool.idleCount(), 1u);
  EXPECT_TRUE(closedByProxy(*to_b.backend));
  EXPECT_FALSE(to_a.backend->closedByProxy());
  EXPECT_EQ(pool.acquire(*b), nullptr);
}

TEST_F(ConnectionPoolTest, OnBackendsChangedClosesIdleConnectionsOfDownServersAndWakesTheHeld) {
  struct Waiter final : HoldQueue::Waiter {
    int woken = 0;
    void onHoldWake() override { ++woken; }
  } waiter;
  pool.holdQueue().add(&waiter);
  Served served = serve(*a);
  pool.release(std::move(served.conn), 8);
  a->setHealth(health::Health::Down);

  pool.onBackendsChanged();
  EXPECT_EQ(waiter.woken, 1);
  EXPECT_EQ(pool.idleCount(), 0u);
  EXPECT_TRUE(closedByProxy(*served.backend));
  pool.holdQueue().remove(&waiter);
}

TEST_F(ConnectionPoolTest, OpensNewConnectionsThroughItsConnector) {
  std::unique_ptr<BackendConnection> conn = pool.connect(loop, *b, timeouts, user);
  ASSERT_EQ(connector.attempts(), 1u);
  EXPECT_EQ(connector.last().server, b.get());
  EXPECT_EQ(conn->generation(), pool.generation());
  EXPECT_EQ(b->connections_opened_total, 1u);
  connector.acceptLast();
  EXPECT_EQ(user.connected, 1);
  BackendConnection::retire(std::move(conn));
}

}  // namespace
}  // namespace gatehouse::upstream
