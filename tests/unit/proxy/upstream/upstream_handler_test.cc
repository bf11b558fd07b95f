// UpstreamHandler streaming whole exchanges: both directions with backpressure, tunnels, the
// interceptor's view, the answers to backend failures and a client that leaves mid-response.
#include "proxy/upstream/upstream_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/base/memory_budget.h"
#include "tests/support/memory_pressure.h"
#include "tests/unit/proxy/upstream/upstream_handler_test_support.h"

namespace gatehouse::upstream {
namespace {

using Strings = std::vector<std::string>;

TEST_F(UpstreamHandlerTest, StreamsTheResponseToTheClientAndPoolsTheConnection) {
  usePool();
  Client& c = start(request());
  ASSERT_EQ(connector.attempts(), 1u);
  EXPECT_EQ(server("a").inFlight(), 1);
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  const std::string& sent = backend.received();
  EXPECT_EQ(sent.rfind("GET /page HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("Host: app.test\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("X-Request-Id: test-id\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("X-Forwarded-For: 203.0.113.7\r\n"), std::string::npos) << sent;

  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: s=1\r\n\r\nhello");
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().status(), 200);
  EXPECT_EQ(c.downstream().body, "hello");
  EXPECT_TRUE(c.downstream().ended);
  EXPECT_EQ(c.downstream().head->headers.get("via"), "1.1 gatehouse");
  EXPECT_EQ(c.downstream().head->headers.get("set-cookie"), "s=1");
  EXPECT_EQ(c.exchange().record().server, "app/a");
  EXPECT_EQ(connections.idleCount(), 1u);
  EXPECT_EQ(server("a").inFlight(), 0);
  EXPECT_EQ(server("a").requests_total, 1u);
}

class UpstreamHandlerFieldsTest : public UpstreamHandlerTest {
 protected:
  // The fields the client got for `response` (a whole backend answer), as "name=value;".
  std::string fieldsForwardedFrom(const std::string& response) {
    usePool();
    Client& c = start(request());
    FakeBackend& backend = connector.acceptLast();
    if (!backend.waitForHeads(base())) return "no request";
    backend.send(response);
    if (!waitForEnd(c, backend)) return "no end";
    std::string order;
    for (const http::Header& h : c.downstream().fields)
      order += h.name + "=" + h.value + ";";
    return order;
  }
};

TEST_F(UpstreamHandlerFieldsTest, ForwardsTheBackendsFieldsAndAddsViaAndTheRequestId) {
  EXPECT_EQ(
      fieldsForwardedFrom("HTTP/1.1 200 OK\r\nServer: app\r\nConnection: keep-alive, X-Hop\r\n"
                          "X-Hop: 1\r\nContent-Length: 2\r\n\r\nok"),
      "Server=app;Via=1.1 gatehouse;X-Request-Id=test-id;");
}

TEST_F(UpstreamHandlerFieldsTest, ExtendsTheBackendsViaAndKeepsItsRequestId) {
  EXPECT_EQ(fieldsForwardedFrom("HTTP/1.1 200 OK\r\nVia: 1.0 cdn\r\nX-Request-Id: from-app\r\n"
                                "Content-Length: 2\r\n\r\nok"),
            "X-Request-Id=from-app;Via=1.0 cdn, 1.1 gatehouse;");
}

TEST_F(UpstreamHandlerTest, SendsTheNextRequestOnThePooledConnection) {
  usePool();
  serveOnNewConnection();
  FakeBackend& backend = *connector.last().backend;
  Client& c = start(request("GET", "/again"));
  EXPECT_EQ(connector.attempts(), 1u);  // no new connect
  ASSERT_TRUE(backend.waitForHeads(base(), 2));
  backend.send(okResponse("again"));
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "again");
  EXPECT_EQ(connections.reused_total, 1u);
}

TEST_F(UpstreamHandlerTest, ReadsNoRequestBodyBeforeTheRequestHeadHasGoneOut) {
  usePool();
  Client& c = start(requestWithBody("POST", 5));
  EXPECT_EQ(c.downstream().resumes, 0);  // connecting: the body (and 100 Continue) wait
  net::EvbufferPtr early = bufferOf("hello");
  c.handler->onRequestBody(early.get());  // offered anyway: left with the codec
  EXPECT_TRUE(c.downstream().request_body_paused);
  EXPECT_EQ(evbuffer_get_length(early.get()), 5u);

  FakeBackend& backend = connector.acceptLast();
  EXPECT_EQ(c.downstream().resumes, 1);
  c.handler->onRequestBody(early.get());
  c.handler->onRequestEnd();
  ASSERT_TRUE(backend.waitFor(base(), [&] {
    return backend.received().ends_with("\r\n\r\nhello");
  })) << backend.received();
  backend.send(okResponse("", 201));
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().status(), 201);
}

TEST_F(UpstreamHandlerTest, PausesTheClientWhileTheBackendIsSlowToReadTheRequestBody) {
  usePool();
  const std::string body(8u << 20, 'x');  // far more than the socketpair's buffers hold
  Client& c = start(requestWithBody("PUT", body.size()));
  FakeBackend& backend = connector.acceptLast();
  backend.stopReading();
  net::EvbufferPtr data = bufferOf(body);
  c.handler->onRequestBody(data.get());
  EXPECT_TRUE(c.downstream().request_body_paused);
  testing::spin(base(), 20);
  EXPECT_TRUE(c.downstream().request_body_paused);  // the backend has not read

  backend.startReading();
  ASSERT_TRUE(backend.waitFor(base(), [&] { return !c.downstream().request_body_paused; }));
  c.handler->onRequestEnd();
  ASSERT_TRUE(backend.waitFor(base(), [&] { return backend.received().size() > body.size(); }));
  backend.send(okResponse("stored", 201));
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "stored");
}

TEST_F(UpstreamHandlerTest, StopsReadingTheBackendWhileTheClientIsFull) {
  usePool();
  Client& c = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  c.downstream().pending_output = http::Exchange::kHighWatermark + 1;
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
  ASSERT_TRUE(backend.waitFor(base(), [&] { return c.downstream().body == "abc"; }));
  backend.send("def");
  testing::spin(base(), 20, [&] { backend.pump(); });
  EXPECT_EQ(c.downstream().body, "abc");  // "def" waits in the kernel

  c.downstream().pending_output = 0;
  c.handler->onDownstreamDrained();
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "abcdef");
  EXPECT_EQ(connections.idleCount(), 1u);
}

// Issue 14, defect 1: a client that never takes the response held the backend connection for
// ever (pausing stopped every timeout). After backend_response paused, the client's response is
// aborted and the connection given up, and the server is not blamed for it.
TEST_F(UpstreamHandlerTest, GivesUpAResponseTheClientLeavesPausedForBackendResponse) {
  timeouts.response = Duration(50);
  usePool();
  Client& c = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  c.downstream().pending_output = http::Exchange::kHighWatermark + 1;  // and it stays so
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "abc");
  EXPECT_TRUE(c.downstream().aborted);
  EXPECT_EQ(server("a").inFlight(), 0);
  EXPECT_EQ(server("a").passive_failures_total.load(), 0u);
  EXPECT_EQ(connections.idleCount(), 0u);
}

// Issue 14: slow readers made every response buffer up to the client's high watermark, with no
// bound on all of them together. Above limits.memory the backend is not read any further,
// whatever room the client has, until memory is back.
TEST_F(UpstreamHandlerTest, StopsReadingTheBackendAboveTheMemoryLimitUntilMemoryIsBack) {
  usePool();
  Client& c = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  testing::MemoryPressure pressure;
  const uint64_t pauses = MemoryBudget::pauses_total.load();
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
  ASSERT_TRUE(backend.waitFor(base(), [&] { return c.downstream().body == "abc"; }));
  backend.send("def");
  testing::spin(base(), 20, [&] { backend.pump(); });
  EXPECT_EQ(c.downstream().body, "abc");  // "def" waits in the kernel
  c.handler->onDownstreamDrained();       // the client's room is not enough
  testing::spin(base(), 20, [&] { backend.pump(); });
  EXPECT_EQ(c.downstream().body, "abc");
  EXPECT_EQ(MemoryBudget::pauses_total.load(), pauses + 1);

  pressure.release();
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "abcdef");
  EXPECT_EQ(connections.idleCount(), 1u);
}

// Issue 14: and slow uploads to a slow backend each buffered up to the high watermark.
TEST_F(UpstreamHandlerTest, PausesTheRequestBodyAboveTheMemoryLimitUntilMemoryIsBack) {
  usePool();
  Client& c = start(requestWithBody("PUT", 10));
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  testing::MemoryPressure pressure;
  net::EvbufferPtr first = bufferOf("hello");
  c.handler->onRequestBody(first.get());
  EXPECT_TRUE(c.downstream().request_body_paused);
  testing::spin(base(), 20, [&] { backend.pump(); });  // the backend reads what it got
  EXPECT_TRUE(c.downstream().request_body_paused) << "still over the limit";

  pressure.release();
  ASSERT_TRUE(backend.waitFor(base(), [&] { return !c.downstream().request_body_paused; }));
  net::EvbufferPtr rest = bufferOf("world");
  c.handler->onRequestBody(rest.get());
  c.handler->onRequestEnd();
  ASSERT_TRUE(backend.waitFor(base(), [&] { return backend.received().ends_with("helloworld"); }));
  backend.send(okResponse("stored", 201));
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().status(), 201);
}

TEST_F(UpstreamHandlerTest, ForwardsTheResponseTrailersOfAChunkedResponse) {
  usePool();
  Client& c = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  backend.send(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 9\r\n\r\n");
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().body, "ok");
  ASSERT_TRUE(c.downstream().trailers);
  EXPECT_EQ(c.downstream().trailers->get("x-sum"), "9");
}

TEST_F(UpstreamHandlerTest, RelaysATunnelBothWaysAndEndsItWhenTheClientClosesItsSide) {
  usePool();
  http::RequestHead upgrade = request();
  upgrade.upgrade = true;
  upgrade.headers.add("Upgrade", "websocket");
  Client& c = start(upgrade);
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  EXPECT_NE(backend.received().find("Connection: upgrade\r\n"), std::string::npos);

  backend.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_TRUE(backend.waitFor(base(), [&] { return c.downstream().status() == 101; }));
  EXPECT_FALSE(c.downstream().request_body_paused);  // client bytes flow now
  backend.send("from-server");
  ASSERT_TRUE(backend.waitFor(base(), [&] { return c.downstream().body == "from-server"; }));
  net::EvbufferPtr frame = bufferOf("from-client");
  c.handler->onRequestBody(frame.get());
  ASSERT_TRUE(backend.waitFor(base(), [&] { return backend.received().ends_with("from-client"); }));

  c.handler->onRequestEnd();
  EXPECT_TRUE(c.downstream().ended);
  EXPECT_EQ(server("a").inFlight(), 0);
  EXPECT_TRUE(waitForClose(backend));
  EXPECT_EQ(connections.idleCount(), 0u);
}

TEST_F(UpstreamHandlerTest, ShowsTheInterceptorTheResponseAsItStreams) {
  usePool();
  Client& c = start(request(), &interceptor);
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  backend.send(okResponse("body"));
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(interceptor.calls, (Strings{"head:200", "body", "end"}));
  EXPECT_EQ(c.downstream().body, "body");
}

TEST_F(UpstreamHandlerTest, DropsTheBodyOnceTheInterceptorHasAnsweredAndStillPoolsTheConnection) {
  usePool();
  interceptor.head_action = ResponseInterceptor::HeadAction::Consume;  // a 304 from the cache
  Client& c = start(request(), &interceptor);
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  backend.send(okResponse("not for the client"));
  ASSERT_TRUE(backend.waitFor(base(), [&] { return connections.idleCount() == 1; }));
  EXPECT_EQ(interceptor.calls, (Strings{"head:200"}));
  EXPECT_EQ(c.downstream().heads, 0);
  EXPECT_EQ(c.downstream().body, "");
  EXPECT_FALSE(c.downstream().ended);  // the interceptor's to end
  EXPECT_EQ(server("a").inFlight(), 0);
}

TEST_F(UpstreamHandlerTest, ReleasesTheBackendWhenTheClientResetsMidResponse) {
  usePool();
  Client& c = start(request(), &interceptor);
  FakeBackend& backend = respondPartly(c);

  c.handler->onDownstreamReset();
  EXPECT_EQ(interceptor.calls, (Strings{"head:200", "body", "abort"}));
  EXPECT_EQ(server("a").inFlight(), 0);
  EXPECT_TRUE(waitForClose(backend));
  EXPECT_EQ(connections.idleCount(), 0u);  // cut short: never reused
  backend.send(std::string(96, 'x'));      // the rest, too late: nobody hears it
  testing::spin(base(), 10, [&] { backend.pump(); });
  EXPECT_EQ(c.downstream().body, "part");
}

TEST_F(UpstreamHandlerTest, AbortsTheClientResponseWhenTheBackendClosesMidBody) {
  usePool();
  Client& c = start(request(), &interceptor);
  FakeBackend& backend = respondPartly(c);
  backend.close();
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_TRUE(c.downstream().aborted);
  EXPECT_FALSE(c.downstream().ended);
  EXPECT_EQ(interceptor.calls, (Strings{"head:200", "body", "abort"}));
  EXPECT_EQ(server("a").inFlight(), 0);
}

TEST_F(UpstreamHandlerTest, AnswersBadGatewayToAnInvalidResponse) {
  usePool();
  Client& c = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(backend.waitForHeads(base()));
  backend.send("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n");
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().status(), 502);
  EXPECT_EQ(server("a").inFlight(), 0);
}

TEST_F(UpstreamHandlerTest, AnswersGatewayTimeoutWhenTheBackendDoesNotAnswerInTime) {
  timeouts.response = Duration(20);
  usePool();
  Client& c = start(request());
  FakeBackend& backend = connector.acceptLast();
  ASSERT_TRUE(waitForEnd(c, backend));
  EXPECT_EQ(c.downstream().status(), 504);
}

TEST_F(UpstreamHandlerTest, AnswersGatewayTimeoutWhenTheConnectTimesOutWithNoRetryLeft) {
  config::BackendConfig config;
  config.retries = 0;
  usePool(config, 2);
  Client& c = start(request());
  connector.timeOut(0);
  EXPECT_EQ(c.downstream().status(), 504);
  EXPECT_EQ(connector.attempts(), 1u);
}

TEST_F(UpstreamHandlerTest, AnswersServiceUnavailableWhenNoServerIsAvailable) {
  usePool({}, 2);
  server("a").setAdminState(health::AdminState::Maintenance);
  server("b").setHealth(health::Health::Down);
  Client& c = start(request());
  EXPECT_EQ(connector.attempts(), 0u);
  EXPECT_EQ(c.downstream().status(), 503);
  EXPECT_EQ(c.downstream().head->headers.get("retry-after"), "5");
  EXPECT_EQ(pool->state().unavailable_total, 1u);
}

TEST_F(UpstreamHandlerTest, LetsTheInterceptorAnswerWhenNoServerIsAvailable) {
  usePool();
  server("a").setAdminState(health::AdminState::Maintenance);
  interceptor.answers_errors = true;  // a stale copy in the cache
  Client& c = start(request(), &interceptor);
  EXPECT_EQ(interceptor.calls, (Strings{"error:503"}));
  EXPECT_EQ(c.downstream().heads, 0);
}

TEST_F(UpstreamHandlerTest, LetsTheInterceptorAnswerInsteadOfABadGateway) {
  config::BackendConfig config;
  config.retries = 0;
  usePool(config);
  interceptor.answers_errors = true;
  Client& c = start(request(), &interceptor);
  connector.refuseLast();
  EXPECT_EQ(interceptor.calls, (Strings{"error:502"}));
  EXPECT_EQ(c.downstream().heads, 0);
  EXPECT_EQ(server("a").inFlight(), 0);
}

}  // namespace
}  // namespace gatehouse::upstream
