// Http2ServerConnection component tests: requests and responses through nghttp2 on both ends,
// concurrency, HEAD/204, resets both ways, CONNECT and 101, graceful stop and idle timeout.
// Request bodies and backpressure are in http2_server_connection_body_test.cc, floods and
// limits in http2_server_connection_defences_test.cc.
#include "proxy/http/http2_server_connection.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/proxy/http/http2_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientStream;
using testsupport::ExchangeLog;
using testsupport::respond;
using testsupport::responseHead;
using Http2Server = testsupport::Http2ServerConnectionTest;

TEST_F(Http2Server, AnswersAGetWithItsBodyAndHeaders) {
  start();
  startClient();
  int32_t id = client_->request("GET", "/a?b=c",
                                {{"accept", "text/html"},
                                 {"cookie", "x=1"},
                                 {"cookie", "y=2"},
                                 {"x-request-id", "client-id-1"}});
  ExchangeLog& log = waitDispatched(1);
  const RequestHead& req = log.request;
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/a?b=c");
  EXPECT_EQ(req.authority, "example.com");
  EXPECT_EQ(req.scheme, "http");
  EXPECT_EQ(req.version_minor, 1);
  EXPECT_FALSE(req.has_body);
  EXPECT_EQ(req.headers.get("accept"), "text/html");
  EXPECT_EQ(req.headers.get("cookie"), "x=1; y=2") << "HTTP/2 splits cookies; HTTP/1 needs one";
  EXPECT_EQ(req.headers.get("x-request-id"), "client-id-1");
  EXPECT_EQ(log.exchange->requestId(), "client-id-1");
  EXPECT_TRUE(log.request_end) << "a request without a body ends with its head";

  ResponseHead head = responseHead(200, 5);
  head.headers.add("Content-Type", "text/plain");
  head.headers.add("Connection", "close");  // hop-by-hop: never in HTTP/2
  head.headers.add("Transfer-Encoding", "chunked");
  log.exchange->respondHead(head);
  testsupport::sendBody(*log.exchange, "hello");
  log.exchange->respondEnd();

  ClientStream& s = waitClosed(id);
  ASSERT_EQ(s.statuses, std::vector<int>{200});
  EXPECT_EQ(s.body, "hello");
  EXPECT_EQ(s.error_code, NGHTTP2_NO_ERROR);
  EXPECT_FALSE(s.reset);
  EXPECT_EQ(s.headers.get("content-type"), "text/plain");
  EXPECT_EQ(s.headers.get("content-length"), "5");
  EXPECT_FALSE(s.headers.has("connection"));
  EXPECT_FALSE(s.headers.has("transfer-encoding"));
  ASSERT_TRUE(runUntil([&] { return log.completed; }));
  EXPECT_EQ(log.record.status, 200);
  EXPECT_EQ(log.record.bytes_sent, 5u);
  EXPECT_FALSE(log.record.aborted);
  EXPECT_FALSE(log.reset);
  EXPECT_EQ(closed_count_, 0);
}

TEST_F(Http2Server, AnswersFromInsideDispatchWithAStreamedBody) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) {
    testsupport::respondStreamed(*log.exchange, "hel", "lo");
  };
  start();
  startClient();
  int32_t id = client_->request("GET", "/");
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.body, "hello");
  EXPECT_FALSE(s.headers.has("content-length"));
  EXPECT_EQ(dispatcher_.logs[0].record.bytes_sent, 5u);
}

TEST_F(Http2Server, ServesTenConcurrentStreamsAnsweredOutOfOrder) {
  start();
  startClient();
  std::vector<int32_t> ids;
  for (int i = 0; i < 10; ++i)
    ids.push_back(client_->request("GET", "/" + std::to_string(i)));
  waitDispatched(10);
  EXPECT_EQ(dispatcher_.max_in_flight, 10);
  for (int i = 9; i >= 0; --i) {
    ExchangeLog& log = dispatcher_.logs[static_cast<size_t>(i)];
    ASSERT_EQ(log.request.target, "/" + std::to_string(i));
    respond(*log.exchange, 200, "body " + std::to_string(i));
    if (i == 5) spin(5);  // some answers go out before the others are even given
  }
  for (int i = 0; i < 10; ++i) {
    ClientStream& s = waitClosed(ids[static_cast<size_t>(i)]);
    EXPECT_EQ(s.body, "body " + std::to_string(i));
  }
  EXPECT_TRUE(runUntil([&] { return dispatcher_.in_flight == 0; }));
  EXPECT_EQ(conn_->openStreams(), 0u);
}

TEST_F(Http2Server, SendsNoBodyForHeadOr204) {
  start();
  startClient();
  int32_t head_id = client_->request("HEAD", "/file");
  int32_t empty_id = client_->request("DELETE", "/item");
  waitDispatched(2);
  ExchangeLog& head_log = dispatcher_.logs[0];
  ResponseHead head = responseHead(200, 1234);  // the length a GET would have
  head_log.exchange->respondHead(head);
  testsupport::sendBody(*head_log.exchange, "ignored");
  head_log.exchange->respondEnd();
  ResponseHead no_content = responseHead(204, std::nullopt);
  no_content.has_body = false;
  dispatcher_.logs[1].exchange->respondHead(no_content);
  dispatcher_.logs[1].exchange->respondEnd();

  ClientStream& h = waitClosed(head_id);
  EXPECT_EQ(h.statuses, std::vector<int>{200});
  EXPECT_EQ(h.headers.get("content-length"), "1234");
  EXPECT_TRUE(h.headers_end_stream) << "END_STREAM rides on HEADERS: no DATA frame";
  EXPECT_EQ(h.body, "");
  ClientStream& e = waitClosed(empty_id);
  EXPECT_EQ(e.statuses, std::vector<int>{204});
  EXPECT_TRUE(e.headers_end_stream);
  EXPECT_FALSE(e.headers.has("content-length"));
  EXPECT_EQ(e.error_code, NGHTTP2_NO_ERROR);
}

TEST_F(Http2Server, TellsTheHandlerWhenTheClientResetsItsStream) {
  start();
  startClient();
  int32_t gone = client_->request("GET", "/slow");
  int32_t kept = client_->request("GET", "/other");
  ExchangeLog& log = waitDispatched(2);
  client_->reset(gone, NGHTTP2_CANCEL);
  ExchangeLog& reset = dispatcher_.logs[0];
  ASSERT_TRUE(runUntil([&] { return reset.completed; }));
  EXPECT_TRUE(reset.reset);
  EXPECT_TRUE(reset.record.aborted);
  EXPECT_EQ(reset.record.status, 499);
  // Only that stream: the other one is still answered.
  EXPECT_FALSE(log.reset);
  respond(*log.exchange, 200, "still here");
  EXPECT_EQ(waitClosed(kept).body, "still here");
  EXPECT_EQ(closed_count_, 0);
}

TEST_F(Http2Server, ResetsOnlyTheStreamAHandlerAborts) {
  start();
  startClient();
  int32_t aborted = client_->request("GET", "/broken");
  int32_t fine = client_->request("GET", "/fine");
  waitDispatched(2);
  dispatcher_.logs[0].exchange->respondHead(responseHead(200, 100));
  testsupport::sendBody(*dispatcher_.logs[0].exchange, "partial");
  dispatcher_.logs[0].exchange->abort();
  ClientStream& a = waitClosed(aborted);
  EXPECT_TRUE(a.reset);
  EXPECT_EQ(a.error_code, NGHTTP2_INTERNAL_ERROR);
  EXPECT_TRUE(runUntil([&] { return dispatcher_.logs[0].completed; }));
  EXPECT_FALSE(dispatcher_.logs[0].reset) << "the handler gave up itself: nothing to tell it";
  EXPECT_TRUE(dispatcher_.logs[0].record.aborted);
  respond(*dispatcher_.logs[1].exchange, 200, "ok");
  EXPECT_EQ(waitClosed(fine).body, "ok");
}

TEST_F(Http2Server, ResetsAStreamWhoseHandlerSends101) {
  start();
  startClient();
  int32_t id = client_->request("GET", "/ws", {{"sec-websocket-version", "13"}});
  ExchangeLog& log = waitDispatched(1);
  log.exchange->respondHead(responseHead(101, std::nullopt));
  ClientStream& s = waitClosed(id);
  EXPECT_TRUE(s.reset);
  EXPECT_TRUE(s.statuses.empty());
  EXPECT_EQ(closed_count_, 0);
}

TEST_F(Http2Server, ResetsAStreamWhoseResponseHeadCannotBeSent) {
  start();
  startClient();
  int32_t id = client_->request("GET", "/");
  int32_t other = client_->request("GET", "/other");
  waitDispatched(2);
  ResponseHead head = responseHead(200, 2);
  head.headers.add("x-huge", std::string(100000, 'h'));  // past nghttp2's 64 KiB header block
  dispatcher_.logs[0].exchange->respondHead(head);
  testsupport::sendBody(*dispatcher_.logs[0].exchange, "no");
  dispatcher_.logs[0].exchange->respondEnd();
  ClientStream& s = waitClosed(id);
  EXPECT_TRUE(s.reset);
  EXPECT_TRUE(s.statuses.empty());
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs[0].completed; }));
  EXPECT_TRUE(dispatcher_.logs[0].record.aborted);
  EXPECT_TRUE(dispatcher_.logs[0].reset) << "its handler may still be streaming: stop it";
  respond(*dispatcher_.logs[1].exchange, 200, "fine");
  EXPECT_EQ(waitClosed(other).body, "fine");
}

TEST_F(Http2Server, Answers501ToConnectWithoutDispatching) {
  start();
  startClient();
  // CONNECT carries only :method and :authority (RFC 9113 §8.5), which nghttp2's client API
  // does not make: raw bytes, with static-table names and literal values.
  client_.reset();
  std::string block = {'\x02', '\x07'};
  block += "CONNECT";
  block += {'\x01', '\x07'};
  block += "db:5432";
  sendRaw(testsupport::rawPreface() +
          testsupport::rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, block));
  std::optional<testsupport::RawFrame> headers = waitRawFrame(NGHTTP2_HEADERS);
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->stream, 1u);
  EXPECT_EQ(testsupport::decodeHeaders(headers->payload).get(":status"), "501");
  EXPECT_TRUE(dispatcher_.logs.empty());
  EXPECT_TRUE(runUntil([&] { return dispatcher_.rejected.size() == 1; }));
  EXPECT_EQ(dispatcher_.rejected[0].status, 501);
}

TEST_F(Http2Server, GracefulShutdownLetsTheStreamInFlightFinish) {
  start();
  startClient();
  int32_t id = client_->request("GET", "/long");
  ExchangeLog& log = waitDispatched(1);
  conn_->beginShutdown();
  // First the notice (last stream 2^31-1), then, a PING round trip later, the final GOAWAY.
  ASSERT_TRUE(runUntil([&] { return client_->goaways == 2; }));
  EXPECT_EQ(client_->goaway_error, NGHTTP2_NO_ERROR);
  EXPECT_EQ(client_->goaway_last_stream, id);
  EXPECT_EQ(closed_count_, 0) << "a stream is still being answered";
  respond(*log.exchange, 200, "finished");
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.body, "finished");
  EXPECT_FALSE(log.reset);
  EXPECT_TRUE(runUntil([&] { return client_->eof; })) << "closed once the last stream ended";
  ::shutdown(client_fd_, SHUT_WR);
  EXPECT_TRUE(runUntil([&] { return closed_count_ == 1; }));
}

TEST_F(Http2Server, ShutdownClosesAnIdleConnectionAfterOneRoundTrip) {
  // Raw frames: nghttp2's own client stops reading after the first GOAWAY when it has no
  // streams, so it would never show the second one.
  start();
  sendRaw(testsupport::rawPreface());
  ASSERT_TRUE(waitRawFrame(NGHTTP2_SETTINGS));
  conn_->beginShutdown();
  // nghttp2 sends PING from its urgent queue, ahead of the GOAWAY submitted before it.
  std::optional<testsupport::RawFrame> ping = waitRawFrame(NGHTTP2_PING);
  ASSERT_TRUE(ping);
  std::optional<testsupport::RawFrame> notice = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(notice);
  EXPECT_EQ(testsupport::lastStreamOf(*notice), 0x7fffffffu) << "no stream refused yet";
  spin(20);
  EXPECT_EQ(closed_count_, 0) << "the final GOAWAY waits for the round trip";
  // A request that crossed the notice on the wire is still served.
  sendRaw(testsupport::rawRequest(1, false, true));
  sendRaw(testsupport::rawFrame(NGHTTP2_PING, NGHTTP2_FLAG_ACK, 0, ping->payload));
  std::optional<testsupport::RawFrame> final_goaway = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(final_goaway);
  EXPECT_EQ(testsupport::lastStreamOf(*final_goaway), 1u);
  EXPECT_EQ(testsupport::errorCodeOf(*final_goaway), NGHTTP2_NO_ERROR);
  testsupport::respond(*waitDispatched(1).exchange, 200, "late");
  std::optional<testsupport::RawFrame> data = waitRawFrame(NGHTTP2_DATA);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->payload, "late");
  EXPECT_TRUE(waitRawEof());
  ::shutdown(client_fd_, SHUT_WR);
  EXPECT_TRUE(runUntil([&] { return closed_count_ == 1; }));
}

TEST_F(Http2Server, SaysGoawayAfterIdleTimeoutWithoutStreams) {
  settings_.idle_timeout = Duration(50);
  start();
  startClient();
  int32_t id = client_->request("GET", "/");
  respond(*waitDispatched(1).exchange, 200, "x");
  waitClosed(id);
  ASSERT_TRUE(runUntil([&] { return client_->goaways == 1; }));
  EXPECT_EQ(client_->goaway_error, NGHTTP2_NO_ERROR);
  EXPECT_EQ(client_->goaway_last_stream, id);
  EXPECT_TRUE(runUntil([&] { return client_->eof; }));
}

TEST_F(Http2Server, ResetsEveryStreamWhenTheClientDisappears) {
  start();
  startClient();
  client_->request("GET", "/a");
  client_->request("POST", "/b", {}, std::string("part"), false);
  waitDispatched(2);
  client_.reset();
  ::close(client_fd_);
  client_fd_ = -1;
  ASSERT_TRUE(runUntil([&] { return closed_count_ == 1; }));
  for (ExchangeLog& log : dispatcher_.logs) {
    EXPECT_TRUE(log.reset);
    EXPECT_TRUE(log.completed);
    EXPECT_EQ(log.record.status, 499);
  }
}

}  // namespace
}  // namespace gatehouse::http
