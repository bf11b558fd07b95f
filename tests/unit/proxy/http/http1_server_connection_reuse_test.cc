// Http1ServerConnection reuses the finished exchange for the next request on the connection
// (issue 18): the reused one must show nothing of the previous request, and the finished one
// must stay as it was until the callback that finished it has returned.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "proxy/http/exchange_pool.h"
#include "proxy/http/http1_server_connection.h"
#include "tests/unit/proxy/http/http1_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientResponse;
using testsupport::ExchangeLog;
using testsupport::respond;
using Http1Reuse = testsupport::Http1ServerConnectionTest;

// Adds a field to every head, as the pipeline's HSTS policy does.
struct MarkingPolicy : ResponseHeadPolicy {
  bool applies(const Exchange&, const ResponseHead&) const override { return true; }
  void apply(const Exchange&, ResponseHead& head) const override {
    head.headers.add("X-Policy", "1");
  }
};

// What a handler saw of its exchange when it was dispatched.
struct Seen {
  const Exchange* exchange = nullptr;
  std::string request_id;
  bool head_sent = true;
  bool trailers = true;
  ExchangeRecord record;
  std::chrono::steady_clock::time_point started;
  RequestHead request;
};

Seen see(Exchange& e) {
  return {&e,           std::string(e.requestId()),
          e.headSent(), !e.requestTrailers().empty(),
          e.record(),   e.started(),
          e.request()};
}

TEST_F(Http1Reuse, TheNextRequestReusesTheFinishedExchangeAndSeesNothingOfTheLast) {
  MarkingPolicy policy;
  Seen first, second;
  dispatcher_.on_dispatch = [&](ExchangeLog& log) {
    Exchange& e = *log.exchange;
    if (e.request().target == "/a") {
      first = see(e);
      e.resumeRequestBody();  // the chunked body and its trailers come in
      return;
    }
    second = see(e);
    respond(e, 200, "two");
  };
  dispatcher_.on_request_end = [&](ExchangeLog& log) {
    Exchange& e = *log.exchange;
    if (e.request().target != "/a") return;
    // The first request leaves something in every part of its exchange.
    ASSERT_EQ(e.requestTrailers().get("x-sum"), "1");
    e.setResponsePolicy(&policy);
    e.record().server = "pool/a";
    e.record().cache_status.assign("gatehouse; fwd=miss");
    e.request().forwarding = "X-Forwarded-For: 127.0.0.1\r\n";
    respond(e, 200, "one");
  };
  start();
  send(
      "POST /a HTTP/1.1\r\nHost: a\r\nX-Request-Id: first-id\r\nX-Only-First: 1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n");
  ClientResponse one = waitResponse();
  ASSERT_EQ(one.body, "one");
  EXPECT_NE(one.head.find("X-Policy: 1\r\n"), std::string::npos);
  ASSERT_EQ(first.request_id, "first-id");
  ASSERT_EQ(dispatcher_.logs[0].record.server, "pool/a");
  ASSERT_EQ(dispatcher_.logs[0].record.bytes_received, 3u);

  spin();  // the loop turns: the finished exchange may be reused now
  send("GET /b HTTP/1.1\r\nHost: b\r\n\r\n");
  ClientResponse two = waitResponse();
  ASSERT_EQ(two.body, "two");

  EXPECT_EQ(second.exchange, first.exchange) << "the same exchange, reused";
  EXPECT_NE(second.request_id, "first-id");
  EXPECT_EQ(second.request_id.size(), 16u) << "a generated id";
  EXPECT_FALSE(second.head_sent);
  EXPECT_FALSE(second.trailers);
  EXPECT_GT(second.started, first.started);
  EXPECT_EQ(second.record.status, 0);
  EXPECT_EQ(second.record.bytes_sent, 0u);
  EXPECT_EQ(second.record.bytes_received, 0u);
  EXPECT_TRUE(second.record.server.empty());
  EXPECT_TRUE(second.record.cache_status.empty());
  EXPECT_FALSE(second.record.aborted);
  EXPECT_EQ(second.request.method, "GET");
  EXPECT_EQ(second.request.authority, "b");
  EXPECT_FALSE(second.request.headers.has("x-only-first"));
  EXPECT_FALSE(second.request.headers.has("x-request-id"));
  EXPECT_TRUE(second.request.forwarding.empty());
  EXPECT_FALSE(second.request.has_body);
  EXPECT_FALSE(second.request.content_length.has_value());
  EXPECT_EQ(two.head.find("X-Policy"), std::string::npos) << "the policy was the first's";
  // Each handler is its own: the second's log is the second's, and the access log saw each.
  ASSERT_EQ(dispatcher_.logs.size(), 2u);
  EXPECT_EQ(dispatcher_.logs[1].record.status, 200);
  EXPECT_EQ(dispatcher_.logs[1].record.bytes_sent, 3u);
  EXPECT_TRUE(dispatcher_.logs[1].record.server.empty());
}

// A handler that answers from inside dispatch() is still on the stack when its exchange
// completes: the exchange must stay as it was until that callback returns, even with the next
// request already waiting (pipelined), and the next request must get a clean one.
TEST_F(Http1Reuse, AFinishedExchangeStaysIntactUntilItsCallbackReturns) {
  int checked = 0;
  dispatcher_.on_dispatch = [&](ExchangeLog& log) {
    Exchange* e = log.exchange;
    const std::string target = e->request().target;
    const size_t kept = ExchangePool::keptOnThisThread();
    respond(*e, 200, target);
    // Completed (the log forgot it), but not yet reusable: it is unchanged, and not yet back in
    // the pool, where the next request could take it.
    ASSERT_EQ(log.exchange, nullptr);
    EXPECT_EQ(ExchangePool::keptOnThisThread(), kept);
    EXPECT_EQ(e->request().target, target);
    EXPECT_EQ(e->record().status, 200);
    EXPECT_TRUE(e->headSent());
    ++checked;
  };
  start();
  send(
      "GET /a HTTP/1.1\r\nHost: a\r\nX-Only-First: 1\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(waitResponse().body, "/a");
  EXPECT_EQ(waitResponse().body, "/b");
  EXPECT_EQ(waitResponse().body, "/c");
  EXPECT_EQ(checked, 3);
  ASSERT_EQ(dispatcher_.logs.size(), 3u);
  EXPECT_TRUE(dispatcher_.logs[0].request.headers.has("x-only-first"));
  EXPECT_FALSE(dispatcher_.logs[1].request.headers.has("x-only-first"));
  EXPECT_FALSE(dispatcher_.logs[2].request.headers.has("x-only-first"));
  spin();  // the last handler goes on the turn after its callback
  for (const ExchangeLog& log : dispatcher_.logs) {
    EXPECT_EQ(log.record.status, 200);
    EXPECT_EQ(log.record.bytes_sent, 2u);
    EXPECT_EQ(log.handler_destroyed, 1) << "each handler once: not kept with the pooled exchange";
  }
}

// The target and authority of a reused exchange come from its own request: an absolute-form
// target rewritten over a shorter one, and HTTP/1.0 without Host over a request that named
// one (the codec then names the address the client reached, never the last request's host).
TEST_F(Http1Reuse, AReusedExchangeTakesItsTargetAndAuthorityFromItsOwnRequest) {
  dispatcher_.on_dispatch = [&](ExchangeLog& log) { respond(*log.exchange, 200, "ok"); };
  start();
  send("GET /first HTTP/1.1\r\nHost: first.example\r\n\r\n");
  ASSERT_EQ(waitResponse().body, "ok");
  spin();
  send("GET http://absolute.example:8080?q=1 HTTP/1.1\r\nHost: absolute.example:8080\r\n\r\n");
  ASSERT_EQ(waitResponse().body, "ok");
  spin();
  send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(waitResponse().body, "ok");
  ASSERT_EQ(dispatcher_.logs.size(), 3u);
  const RequestHead& absolute = dispatcher_.logs[1].request;
  EXPECT_EQ(absolute.target, "/?q=1");
  EXPECT_EQ(absolute.authority, "absolute.example:8080");
  EXPECT_EQ(absolute.version_minor, 1);
  const RequestHead& old = dispatcher_.logs[2].request;
  EXPECT_EQ(old.target, "/old");
  EXPECT_EQ(old.version_minor, 0);
  EXPECT_NE(old.authority, "absolute.example:8080") << "the last request's host, carried over";
  EXPECT_FALSE(old.headers.has("host"));
}

}  // namespace
}  // namespace gatehouse::http
