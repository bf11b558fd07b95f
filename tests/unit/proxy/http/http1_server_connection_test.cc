// Http1ServerConnection component tests: response framing and keep-alive, HEAD, pipelining,
// malformed input, client timeouts, graceful shutdown and the 101 tunnel. Request bodies and
// backpressure are in http1_server_connection_body_test.cc.
#include "proxy/http/http1_server_connection.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/proxy/http/http1_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientResponse;
using testsupport::ExchangeLog;
using testsupport::respond;
using testsupport::respondStreamed;
using Http1Server = testsupport::Http1ServerConnectionTest;

TEST_F(Http1Server, AnswersGetsWithContentLengthOnOneKeptAliveConnection) {
  start();
  send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 1; }));
  ExchangeLog& first = dispatcher_.logs[0];
  EXPECT_EQ(first.request.method, "GET");
  EXPECT_EQ(first.request.target, "/a");
  EXPECT_EQ(first.request.authority, "a");
  EXPECT_TRUE(first.request_end) << "a request without a body ends with its head";
  respond(*first.exchange, 200, "hello");
  EXPECT_EQ(receiveExactly(43), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(first.completed);
  EXPECT_EQ(first.record.status, 200);
  EXPECT_EQ(first.record.bytes_sent, 5u);
  EXPECT_FALSE(first.record.aborted);

  // The handler may answer from inside dispatch(), too.
  dispatcher_.on_dispatch = [](ExchangeLog& log) { respond(*log.exchange, 200, "again"); };
  send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(receiveExactly(43), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain");
  ASSERT_EQ(dispatcher_.logs.size(), 2u);
  EXPECT_EQ(dispatcher_.logs[1].request.target, "/b");
  spin();
  readClient();
  EXPECT_FALSE(client_eof_);
  EXPECT_EQ(closed_count_, 0);
}

TEST_F(Http1Server, StreamsAResponseOfUnknownLengthChunkedToHttp11) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { respondStreamed(*log.exchange, "hel", "lo"); };
  start();
  send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string expected =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n";
  EXPECT_EQ(receiveExactly(expected.size()), expected);
  send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");  // still open
  EXPECT_EQ(receiveExactly(expected.size()), expected);
}

TEST_F(Http1Server, EndsAResponseOfUnknownLengthByClosingForHttp10) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { respondStreamed(*log.exchange, "hel", "lo"); };
  start();
  send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(waitForEof());
  EXPECT_EQ(received_, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello");
  EXPECT_TRUE(runUntil([&] { return closed_count_ == 1; }));
}

TEST_F(Http1Server, KeepsAnHttp10ConnectionThatAskedForItWhenTheLengthIsKnown) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { respond(*log.exchange, 200, "hi"); };
  start();
  send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const std::string expected =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi";
  EXPECT_EQ(receiveExactly(expected.size()), expected);
  send("GET / HTTP/1.0\r\n\r\n");  // without keep-alive this time
  ASSERT_TRUE(waitForEof());
  EXPECT_EQ(received_, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
}

TEST_F(Http1Server, AnswersHeadWithoutABody) {
  // A naive handler sends the body anyway: the codec must drop it.
  dispatcher_.on_dispatch = [](ExchangeLog& log) {
    if (log.request.target == "/known")
      respond(*log.exchange, 200, "hello");
    else
      respondStreamed(*log.exchange, "hel", "lo");
  };
  start();
  send("HEAD /known HTTP/1.1\r\nHost: a\r\n\r\nHEAD /streamed HTTP/1.1\r\nHost: a\r\n\r\n");
  send("GET /known HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string expected =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(receiveExactly(expected.size()), expected);
  spin();
  readClient();
  EXPECT_EQ(received_, "") << "nothing after the HEAD responses but the GET's";
}

TEST_F(Http1Server, AnswersPipelinedRequestsInOrderOneAtATime) {
  start();
  send(
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == i + 1; }));
    spin();
    EXPECT_EQ(dispatcher_.logs.size(), i + 1) << "the next waits until this one is answered";
    ExchangeLog& log = dispatcher_.logs[i];
    EXPECT_EQ(log.request.target, "/" + std::to_string(i + 1));
    respond(*log.exchange, 200, "r" + std::to_string(i + 1));
  }
  for (int i = 1; i <= 3; ++i) {
    ClientResponse r = waitResponse();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "r" + std::to_string(i));
  }
  EXPECT_EQ(dispatcher_.max_in_flight, 1);
}

TEST_F(Http1Server, RejectsAmbiguousFramingWith400AndCloses) {
  start();
  send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(waitForEof()) << "the socket closes after the 400 (read returns 0)";
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos) << r.head;
  EXPECT_TRUE(dispatcher_.logs.empty()) << "no exchange for a request that was never framed";
  ASSERT_EQ(dispatcher_.rejected.size(), 1u) << "but an access-log line";
  EXPECT_EQ(dispatcher_.rejected[0].status, 400);
  ::shutdown(client_, SHUT_WR);  // the lingering close ends on the client's FIN
  ASSERT_TRUE(runUntil([&] { return closed_count_ == 1; }));
}

TEST_F(Http1Server, ClosesAConnectionThatSendsHalfAHeadWithinClientHeader) {
  settings_.client_header = Duration(50);
  start();
  send("GET / HTTP/1.1\r\nHo");
  ASSERT_TRUE(waitForEof());
  EXPECT_EQ(received_, "") << "timeouts close quietly";
  EXPECT_EQ(closed_count_, 1);
  EXPECT_TRUE(dispatcher_.logs.empty());
}

TEST_F(Http1Server, ClosesAKeptAliveConnectionAfterClientIdle) {
  settings_.client_idle = Duration(50);
  dispatcher_.on_dispatch = [](ExchangeLog& log) { respond(*log.exchange, 204, ""); };
  start();
  send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 204);
  ASSERT_TRUE(waitForEof());
  EXPECT_EQ(closed_count_, 1);
}

TEST_F(Http1Server, ShutdownClosesAConnectionIdleBetweenRequestsAtOnce) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { respond(*log.exchange, 200, "hi"); };
  start();
  send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 200);
  spin();
  conn_->beginShutdown();
  EXPECT_EQ(closed_count_, 1);
  ASSERT_TRUE(waitForEof());
  EXPECT_EQ(received_, "");
}

// A connection that never sent a byte has no request in progress, so beginShutdown() closes it
// at once. Lingering (kLingerTime, 2 s) as if its client were mid-body would hold on_closed,
// and with it the worker's graceful stop, for those 2 s even though the client sees the FIN.
TEST_F(Http1Server, ShutdownClosesAConnectionThatNeverSentARequestAtOnce) {
  start();
  conn_->beginShutdown();
  ASSERT_TRUE(waitForEof());
  EXPECT_EQ(received_, "");
  EXPECT_TRUE(runUntil([&] { return closed_count_ == 1; }, Duration(500)))
      << "still open 500 ms after beginShutdown()";
}

TEST_F(Http1Server, ShutdownClosesABusyConnectionAfterItsResponse) {
  start();
  send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 1; }));
  conn_->beginShutdown();
  spin();
  readClient();
  EXPECT_FALSE(client_eof_) << "the exchange in progress is finished first";
  EXPECT_EQ(closed_count_, 0);
  respond(*dispatcher_.logs[0].exchange, 200, "bye");
  ASSERT_TRUE(waitForEof());
  EXPECT_EQ(received_, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye");
  EXPECT_FALSE(dispatcher_.logs[0].record.aborted);
}

TEST_F(Http1Server, SwitchesToATunnelOn101) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) {
    ResponseHead head;
    head.status = 101;
    head.has_body = false;
    head.headers.add("Upgrade", "websocket");
    log.exchange->respondHead(head);
  };
  dispatcher_.on_body = [](ExchangeLog& log) {  // echoes every piece back
    testsupport::sendBody(*log.exchange, "echo:" + log.body);
    log.body.clear();
  };
  dispatcher_.on_request_end = [](ExchangeLog& log) { log.exchange->respondEnd(); };
  start();
  // Bytes right behind the upgrade request already belong to the tunnel.
  send("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nearly");
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n";
  EXPECT_EQ(receiveExactly(head.size()), head);
  EXPECT_EQ(receiveExactly(10), "echo:early");
  ASSERT_EQ(dispatcher_.logs.size(), 1u);
  EXPECT_TRUE(dispatcher_.logs[0].request.upgrade);
  EXPECT_EQ(dispatcher_.logs[0].request.headers.get("upgrade"), "websocket");
  EXPECT_FALSE(dispatcher_.logs[0].request_end);

  // Raw bytes both ways, nothing HTTP about them.
  send("\x81\x05hello GET / HTTP/1.1\r\n\r\n");
  const std::string echoed = "echo:\x81\x05hello GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(receiveExactly(echoed.size()), echoed);
  testsupport::sendBody(*dispatcher_.logs[0].exchange, "server push");
  EXPECT_EQ(receiveExactly(11), "server push");

  // The client ends its half; the handler ends the other; the connection closes.
  ::shutdown(client_, SHUT_WR);
  ASSERT_TRUE(waitForEof());
  EXPECT_TRUE(dispatcher_.logs[0].request_end);
  EXPECT_TRUE(dispatcher_.logs[0].completed);
  EXPECT_EQ(dispatcher_.logs[0].record.status, 101);
  EXPECT_EQ(dispatcher_.max_in_flight, 1);
}

}  // namespace
}  // namespace gatehouse::http
