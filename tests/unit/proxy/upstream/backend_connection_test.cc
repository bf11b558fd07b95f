// BackendConnection through its public API, over a socketpair: the test is the backend server
// and writes its responses byte by byte; the connection parses them on the same loop.
#include "proxy/upstream/backend_connection.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "proxy/net/event_loop.h"
#include "tests/support/fake_backend.h"
#include "tests/unit/proxy/upstream/upstream_test_support.h"

namespace gatehouse::upstream {
namespace {

using testing::FakeBackend;
using namespace std::chrono_literals;

http::RequestHead request(std::string method = "GET") {
  http::RequestHead head;
  head.method = std::move(method);
  head.target = "/page";
  head.authority = "app.test";
  return head;
}

class BackendConnectionTest : public ::testing::Test {
 protected:
  ~BackendConnectionTest() override { BackendConnection::retire(std::move(conn)); }

  // Opens a connection and completes its connect: it is ready for a request.
  FakeBackend& connect() {
    conn = BackendConnection::connect(loop, *server, timeouts, user, connector);
    return connector.accept(0);
  }
  // Sends a whole bodiless request and waits until the backend has its head.
  void send(FakeBackend& backend, const http::RequestHead& head) {
    const size_t before = backend.heads();
    conn->sendRequestHead(head);
    conn->sendEnd();
    ASSERT_TRUE(backend.waitForHeads(loop.base(), before + 1));
  }
  // Writes `bytes` as the backend and runs the loop until pred() holds.
  bool answer(FakeBackend& backend, std::string_view bytes, const std::function<bool()>& pred) {
    backend.send(bytes);
    return backend.waitFor(loop.base(), pred);
  }
  bool ended() const { return user.ended > 0; }
  bool failed() const { return user.failure.has_value(); }

  net::EventLoop loop;
  testing::FakeBackendConnector connector;
  std::shared_ptr<health::Server> server =
      std::make_shared<health::Server>("app", "a", net::SocketAddress{}, 1);
  RecordingUser user;
  BackendConnection::Timeouts timeouts;
  std::unique_ptr<BackendConnection> conn;
};

TEST_F(BackendConnectionTest, HandsOverAContentLengthResponseAndIsReusableAfterIt) {
  FakeBackend& backend = connect();
  EXPECT_EQ(user.connected, 1);
  EXPECT_FALSE(conn->reused());
  send(backend, request());
  EXPECT_EQ(backend.received().rfind("GET /page HTTP/1.1\r\n", 0), 0u) << backend.received();

  ASSERT_TRUE(answer(backend, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-App: 1\r\n\r\nhello",
                     [&] { return ended(); }));
  ASSERT_TRUE(user.head);
  EXPECT_EQ(user.head->status, 200);
  EXPECT_EQ(user.head->content_length, 5u);
  EXPECT_EQ(user.head->headers.get("x-app"), "1");
  EXPECT_FALSE(user.head->headers.has("content-length"));  // the codec writes the framing
  EXPECT_EQ(user.body, "hello");
  EXPECT_TRUE(conn->reusable());
  EXPECT_TRUE(conn->reused());  // it has carried a request: the next one reuses it
}

TEST_F(BackendConnectionTest, StreamsAChunkedResponseWithItsTrailers) {
  FakeBackend& backend = connect();
  send(backend, request());
  ASSERT_TRUE(answer(backend,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Digest: abc\r\n\r\n",
                     [&] { return ended(); }));
  EXPECT_EQ(user.body, "hello world");
  ASSERT_TRUE(user.trailers);
  EXPECT_EQ(user.trailers->get("x-digest"), "abc");
  EXPECT_EQ(user.head->content_length, std::nullopt);
  EXPECT_TRUE(conn->reusable());
}

TEST_F(BackendConnectionTest, ReportsAResponseThatEndsBeforeItsLengthAsClosedMidResponse) {
  FakeBackend& backend = connect();
  send(backend, request());
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd");
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return user.body == "abcd"; }));
  backend.close();
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return failed(); }));
  EXPECT_EQ(*user.failure, BackendFailure::ClosedMidResponse);
  EXPECT_EQ(user.ended, 0);
  EXPECT_FALSE(conn->reusable());
}

TEST_F(BackendConnectionTest, ReportsACloseBeforeAnyResponseAsClosedBeforeResponse) {
  FakeBackend& backend = connect();
  send(backend, request());
  backend.close();
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return failed(); }));
  EXPECT_EQ(*user.failure, BackendFailure::ClosedBeforeResponse);
  EXPECT_FALSE(user.head);
}

TEST_F(BackendConnectionTest, ReportsAnUnparseableResponseAsBadResponse) {
  FakeBackend& backend = connect();
  send(backend, request());
  ASSERT_TRUE(answer(backend, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                     [&] { return failed(); }));
  EXPECT_EQ(*user.failure, BackendFailure::BadResponse);
  EXPECT_FALSE(user.head);
  EXPECT_FALSE(conn->reusable());
}

TEST_F(BackendConnectionTest, EndsACloseDelimitedBodyAtEofAndIsNotReusedAfterIt) {
  FakeBackend& backend = connect();
  send(backend, request());
  backend.send("HTTP/1.1 200 OK\r\n\r\nuntil the end");
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return user.body == "until the end"; }));
  EXPECT_FALSE(ended());
  backend.close();
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return ended(); }));
  EXPECT_FALSE(failed());
  EXPECT_FALSE(conn->reusable());
}

TEST_F(BackendConnectionTest, IsNotReusableAfterAResponseThatClosesTheConnection) {
  FakeBackend& backend = connect();
  send(backend, request());
  ASSERT_TRUE(answer(backend, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                     [&] { return ended(); }));
  EXPECT_EQ(user.body, "ok");
  EXPECT_FALSE(conn->reusable());
}

TEST_F(BackendConnectionTest, SkipsAnInterimResponseBeforeTheFinalOne) {
  FakeBackend& backend = connect();
  send(backend, request());
  ASSERT_TRUE(answer(backend,
                     "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + okResponse("x"),
                     [&] { return ended(); }));
  EXPECT_EQ(user.head->status, 200);
  EXPECT_FALSE(user.head->headers.has("link"));
  EXPECT_EQ(user.body, "x");
}

TEST_F(BackendConnectionTest, HandsOverNoBodyForAResponseToHead) {
  FakeBackend& backend = connect();
  send(backend, request("HEAD"));
  ASSERT_TRUE(
      answer(backend, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", [&] { return ended(); }));
  EXPECT_FALSE(user.head->has_body);
  EXPECT_EQ(user.head->content_length, 1234u);  // what the GET would have had
  EXPECT_TRUE(conn->reusable());
}

TEST_F(BackendConnectionTest, SendsAKnownLengthBodyAsItIs) {
  FakeBackend& backend = connect();
  http::RequestHead post = request("POST");
  post.has_body = true;
  post.content_length = 5;
  conn->sendRequestHead(post);
  net::EvbufferPtr body = net::makeEvbuffer();
  evbuffer_add(body.get(), "hello", 5);
  conn->sendBody(body.get());
  conn->sendEnd();
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] {
    return backend.received().ends_with("\r\n\r\nhello");
  })) << backend.received();
  EXPECT_NE(backend.received().find("Content-Length: 5\r\n"), std::string::npos);
}

TEST_F(BackendConnectionTest, SendsAnUnknownLengthBodyChunkedWithItsTrailers) {
  FakeBackend& backend = connect();
  http::RequestHead post = request("POST");
  post.has_body = true;
  conn->sendRequestHead(post);
  net::EvbufferPtr body = net::makeEvbuffer();
  evbuffer_add(body.get(), "hello", 5);
  conn->sendBody(body.get());
  http::HeaderMap trailers;
  trailers.add("X-Sum", "7");
  conn->sendEnd(&trailers);
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] {
    return backend.received().ends_with("5\r\nhello\r\n0\r\nX-Sum: 7\r\n\r\n");
  })) << backend.received();
  EXPECT_NE(backend.received().find("Transfer-Encoding: chunked\r\n"), std::string::npos);
}

TEST_F(BackendConnectionTest, ReportsARefusedConnectAndCountsItOnTheServer) {
  conn = BackendConnection::connect(loop, *server, timeouts, user, connector);
  EXPECT_EQ(server->connections_opened_total, 1u);
  connector.refuse(0);
  EXPECT_EQ(user.failure, BackendFailure::ConnectFailed);
  EXPECT_EQ(user.connected, 0);
  EXPECT_EQ(server->connect_failures_total, 1u);
}

TEST_F(BackendConnectionTest, ReportsAConnectThatTimedOut) {
  conn = BackendConnection::connect(loop, *server, timeouts, user, connector);
  connector.timeOut(0);
  EXPECT_EQ(user.failure, BackendFailure::ConnectTimeout);
  EXPECT_EQ(server->connect_failures_total, 1u);
}

TEST_F(BackendConnectionTest, ReportsAQuietBackendAsAResponseTimeout) {
  timeouts.response = Duration(20);
  FakeBackend& backend = connect();
  send(backend, request());
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return failed(); }));
  EXPECT_EQ(*user.failure, BackendFailure::ResponseTimeout);
}

TEST_F(BackendConnectionTest, LeavesTheResponseUnreadWhilePausedAndReadsItOnResume) {
  FakeBackend& backend = connect();
  send(backend, request());
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return user.body == "abc"; }));
  conn->pauseResponse();
  backend.send("def");
  testing::spin(loop.base(), 20, [&] { backend.pump(); });
  EXPECT_EQ(user.body, "abc");
  conn->resumeResponse();
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return ended(); }));
  EXPECT_EQ(user.body, "abcdef");
}

// Issue 14, defect 1: pausing (a client that does not read) disarmed the read timeout, so a
// paused connection was held for as long as the client held its response. The pause keeps a
// deadline of backend_response; the user hears a failure that is not the server's.
TEST_F(BackendConnectionTest, APausedResponseStillTimesOut) {
  timeouts.response = Duration(50);
  FakeBackend& backend = connect();
  send(backend, request());
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return user.body == "abc"; }));
  const uint64_t fired = BackendConnection::paused_timeouts_total.load();
  conn->pauseResponse();
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return failed(); }));
  EXPECT_EQ(*user.failure, BackendFailure::DownstreamStalled);
  EXPECT_EQ(BackendConnection::paused_timeouts_total.load(), fired + 1);
  EXPECT_EQ(user.ended, 0);
  EXPECT_FALSE(conn->reusable());
}

TEST_F(BackendConnectionTest, AResumedResponseDoesNotTimeOutForItsPause) {
  timeouts.response = Duration(100);
  FakeBackend& backend = connect();
  send(backend, request());
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return user.body == "abc"; }));
  conn->pauseResponse();
  testing::spin(loop.base(), 5, [&] { backend.pump(); });
  conn->resumeResponse();
  backend.send("def");
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return ended(); }));
  EXPECT_FALSE(failed());
  EXPECT_TRUE(conn->reusable());
}

// Issue 14, time bounds: a connection parked in the pool had no deadline of its own; it is
// closed after backend_idle (nginx's upstream keepalive_timeout) and counted.
TEST_F(BackendConnectionTest, AnIdlePooledConnectionIsClosedAfterBackendIdle) {
  timeouts.idle = Duration(50);
  FakeBackend& backend = connect();
  send(backend, request());
  ASSERT_TRUE(
      answer(backend, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", [&] { return ended(); }));
  ASSERT_TRUE(conn->reusable());
  const uint64_t fired = BackendConnection::idle_timeouts_total.load();
  bool dead = false;
  conn->parkIdle([&] {  // as the pool does: it retires a dead idle connection
    dead = true;
    BackendConnection::retire(std::move(conn));
  });
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return dead; }));
  EXPECT_EQ(BackendConnection::idle_timeouts_total.load(), fired + 1);
  EXPECT_TRUE(backend.waitFor(loop.base(), [&] { return backend.closedByProxy(); }));
}

// The pool's callback retires the connection, and retiring clears the callback: it used to be
// destroyed while it ran, so a closure that looked at what it captured after retiring read
// freed memory (AddressSanitizer: heap-use-after-free). Both ways an idle connection dies.
class IdleDeathTest : public BackendConnectionTest {
 protected:
  void parkThenKill(const std::function<void(FakeBackend&)>& kill) {
    FakeBackend& backend = connect();
    send(backend, request());
    ASSERT_TRUE(
        answer(backend, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", [&] { return ended(); }));
    ASSERT_TRUE(conn->reusable());
    std::string seen;
    // Captures more than std::function keeps inline: the closure lives on the heap.
    const std::string label(64, 'x');
    conn->parkIdle([this, label, &seen] {
      BackendConnection::retire(std::move(conn));
      seen = label;  // after retiring: the closure must still be alive
    });
    kill(backend);
    ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return !seen.empty(); }));
    EXPECT_EQ(seen, label);
    EXPECT_EQ(conn, nullptr);
  }
};

TEST_F(IdleDeathTest, TheCallbackMayRetireTheConnectionAndGoOnWhenTheBackendCloses) {
  parkThenKill([](FakeBackend& backend) { backend.close(); });
}

TEST_F(IdleDeathTest, TheCallbackMayRetireTheConnectionAndGoOnWhenTheBackendSendsUnasked) {
  parkThenKill([](FakeBackend& backend) { backend.send("HTTP/1.1 200 OK\r\n\r\n"); });
}

// Issue 14, time bounds: a tunnel (after 101) had no read timeout at all, so a WebSocket whose
// both ends went quiet held a client and a backend connection for ever. It ends after
// tunnel_idle without a byte either way; the client's bytes count as much as the backend's.
TEST_F(BackendConnectionTest, ATunnelEndsAfterTunnelIdleWithoutAByteEitherWay) {
  timeouts.tunnel_idle = Duration(300);
  FakeBackend& backend = connect();
  http::RequestHead upgrade = request();
  upgrade.upgrade = true;
  conn->sendRequestHead(upgrade);
  ASSERT_TRUE(backend.waitForHeads(loop.base()));
  ASSERT_TRUE(answer(backend,
                     "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                     "Upgrade: websocket\r\n\r\n",
                     [&] { return user.head.has_value(); }));
  const uint64_t fired = BackendConnection::tunnel_idle_timeouts_total.load();
  // The client alone talks, every ~50 ms for ~400 ms (past tunnel_idle): it stays open.
  for (int i = 0; i < 8; ++i) {
    net::EvbufferPtr bytes = net::makeEvbuffer();
    evbuffer_add(bytes.get(), "x", 1);
    conn->sendBody(bytes.get());
    const auto until = std::chrono::steady_clock::now() + 50ms;
    testing::runUntil(loop.base(), [&] {
      backend.pump();
      return std::chrono::steady_clock::now() >= until;
    });
    ASSERT_FALSE(ended() || failed()) << "closed while the client was sending, round " << i;
  }
  EXPECT_EQ(backend.received().substr(backend.received().size() - 8), "xxxxxxxx");
  // Then nobody: it ends as a closed tunnel does, counted, and is never reused.
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return ended(); }));
  EXPECT_FALSE(failed());
  EXPECT_EQ(BackendConnection::tunnel_idle_timeouts_total.load(), fired + 1);
  EXPECT_FALSE(conn->reusable());
}

TEST_F(BackendConnectionTest, TellsItsUserWhenTheRequestOutputHasDrained) {
  FakeBackend& backend = connect();
  http::RequestHead post = request("POST");
  post.has_body = true;
  post.content_length = 8u << 20;
  conn->sendRequestHead(post);
  backend.stopReading();
  net::EvbufferPtr body = net::makeEvbuffer();
  const std::string big(8u << 20, 'x');  // far more than the socketpair's buffers hold
  evbuffer_add(body.get(), big.data(), big.size());
  conn->sendBody(body.get());
  testing::spin(loop.base(), 20);
  EXPECT_GT(conn->pendingOutput(), http::Exchange::kLowWatermark);
  EXPECT_EQ(user.drained, 0);
  backend.startReading();
  ASSERT_TRUE(backend.waitFor(loop.base(), [&] { return user.drained > 0; }));
  EXPECT_LE(conn->pendingOutput(), http::Exchange::kLowWatermark);
}

}  // namespace
}  // namespace gatehouse::upstream
