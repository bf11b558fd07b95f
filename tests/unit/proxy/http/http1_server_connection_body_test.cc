// Http1ServerConnection component tests: request bodies (Content-Length and chunked), delivered
// only after resumeRequestBody(), 100-continue, early answers, the body limit, backpressure
// both ways, and a client that leaves mid-body.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "proxy/http/http1_server_connection.h"
#include "tests/unit/proxy/http/http1_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientResponse;
using testsupport::ExchangeLog;
using testsupport::pattern;
using testsupport::respond;
using Http1ServerBody = testsupport::Http1ServerConnectionTest;

// The body already sits in the input buffer with the head, yet the handler sees none of it
// until it asks; then it sees all of it, and the end.
TEST_F(Http1ServerBody, DeliversAContentLengthBodyOnlyAfterResume) {
  start();
  send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 1; }));
  ExchangeLog& log = dispatcher_.logs[0];
  EXPECT_TRUE(log.request.has_body);
  EXPECT_EQ(log.request.content_length, 11u);
  spin();
  EXPECT_EQ(log.body, "");
  EXPECT_FALSE(log.request_end);

  log.exchange->resumeRequestBody();
  ASSERT_TRUE(runUntil([&] { return log.request_end; }));
  EXPECT_EQ(log.body, "hello world");
  respond(*log.exchange, 201, "");
  EXPECT_EQ(waitResponse().status, 201);
  EXPECT_EQ(log.record.bytes_received, 11u);
}

TEST_F(Http1ServerBody, DeliversAChunkedBodyOnlyAfterResumeAndServesThePipelinedNext) {
  start();
  send(
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
      "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 1; }));
  ExchangeLog& log = dispatcher_.logs[0];
  EXPECT_TRUE(log.request.has_body);
  EXPECT_FALSE(log.request.content_length.has_value());
  spin();
  EXPECT_EQ(log.body, "");

  log.exchange->resumeRequestBody();
  ASSERT_TRUE(runUntil([&] { return log.request_end; }));
  EXPECT_EQ(log.body, "hello world");
  respond(*log.exchange, 200, "one");
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 2; }));
  EXPECT_EQ(dispatcher_.logs[1].request.target, "/next") << "the body's end was found exactly";
  respond(*dispatcher_.logs[1].exchange, 200, "two");
  EXPECT_EQ(waitResponse().body, "one");
  EXPECT_EQ(waitResponse().body, "two");
}

// Each request gets its own trailers: a chunked request's must not reach a later request with
// a Content-Length body on the same connection (the decoder that held them once outlived its
// request).
TEST_F(Http1ServerBody, TheTrailersOfAChunkedRequestDoNotReachTheNextRequest) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  HeaderMap first_trailers;
  HeaderMap second_trailers;
  dispatcher_.on_request_end = [&](ExchangeLog& log) {
    (dispatcher_.logs.size() == 1 ? first_trailers : second_trailers) =
        log.exchange->requestTrailers();
    respond(*log.exchange, 200, "");
  };
  start();
  send(
      "POST /one HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nX-Checksum: 1f\r\n\r\n"
      "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz");
  EXPECT_EQ(waitResponse().status, 200);
  EXPECT_EQ(waitResponse().status, 200);
  ASSERT_EQ(dispatcher_.logs.size(), 2u);
  EXPECT_EQ(dispatcher_.logs[1].body, "xyz");
  EXPECT_EQ(first_trailers.get("X-Checksum"), "1f");
  EXPECT_TRUE(second_trailers.empty());
}

// A handler that takes none of the last delivery (it pauses, as UpstreamHandler does between a
// failed attempt and its retry) gets those bytes again when it resumes, and only then the end.
// They were once kept for the next request: its handler got them in front of its own body.
TEST_F(Http1ServerBody, BytesLeftInTheLastDeliveryAreOfferedAgainNotToTheNextRequest) {
  bool left_once = false;
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  dispatcher_.leave_body = [&](ExchangeLog&) { return !std::exchange(left_once, true); };
  dispatcher_.on_request_end = [](ExchangeLog& log) { respond(*log.exchange, 200, log.body); };
  start();
  send(
      "POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz");
  ASSERT_TRUE(runUntil([&] { return left_once; }));
  spin();
  ExchangeLog& first = dispatcher_.logs[0];
  ASSERT_FALSE(first.request_end) << "the body is not over while its bytes wait for the handler";
  first.exchange->resumeRequestBody();
  EXPECT_EQ(waitResponse().body, "hello");
  EXPECT_EQ(waitResponse().body, "xyz");
  ASSERT_EQ(dispatcher_.logs.size(), 2u);
  EXPECT_EQ(dispatcher_.logs[1].body, "xyz");
}

TEST_F(Http1ServerBody, Sends100ContinueExactlyWhenTheHandlerResumes) {
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 1; }));
  ExchangeLog& log = dispatcher_.logs[0];
  EXPECT_FALSE(log.request.headers.has("expect")) << "answered here, not forwarded";
  spin();
  readClient();
  EXPECT_EQ(received_, "") << "no 100 Continue before the handler wants the body";

  log.exchange->resumeRequestBody();
  EXPECT_EQ(receiveExactly(25), "HTTP/1.1 100 Continue\r\n\r\n");
  send("hello");
  ASSERT_TRUE(runUntil([&] { return log.request_end; }));
  EXPECT_EQ(log.body, "hello");
  log.exchange->resumeRequestBody();  // a second resume sends nothing
  respond(*log.exchange, 200, "ok");
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.head.find("Connection: close"), std::string::npos) << "kept alive";
}

TEST_F(Http1ServerBody, AnEarly413WithoutResumeClosesInsteadOfSending100Continue) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->respondError(413, "too big"); };
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(waitForEof());
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos) << r.head;
  EXPECT_TRUE(received_.empty()) << "no 100 Continue anywhere: " << received_;
  ASSERT_EQ(dispatcher_.logs.size(), 1u);
  EXPECT_EQ(dispatcher_.logs[0].body, "");
  EXPECT_EQ(dispatcher_.logs[0].record.status, 413);
}

TEST_F(Http1ServerBody, AnEarly413ToALargeBodyClosesTheConnection) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->respondError(413, "too big"); };
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10485760\r\n\r\n" + pattern(4096));
  ASSERT_TRUE(waitForEof());
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos) << r.head;
  EXPECT_EQ(dispatcher_.logs[0].body, "");
}

TEST_F(Http1ServerBody, AnEarlyAnswerToASmallBodyDiscardsItAndKeepsTheConnection) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) {
    if (log.request.method == "POST")
      log.exchange->respondError(403, "no");
    else
      respond(*log.exchange, 200, "next");
  };
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 403);
  send(
      "hello"
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "next");
  EXPECT_EQ(dispatcher_.logs[0].body, "") << "dropped, not delivered";
}

// After an early answer the rest of the request body is read and dropped, under client_idle:
// a client that announced a body and never sends it is timed out instead of holding the
// connection open for ever.
TEST_F(Http1ServerBody, AClientThatNeverSendsTheAnnouncedBodyIsTimedOut) {
  settings_.client_idle = Duration(50);
  settings_.client_header = Duration(50);
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->respondError(403, "no"); };
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 403);
  EXPECT_TRUE(waitForEof(Duration(2000))) << "still open 2 s after client_idle (50 ms)";
}

TEST_F(Http1ServerBody, RejectsAContentLengthOverMaxBodyWithoutDispatch) {
  settings_.max_body = 10;
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n");
  ASSERT_TRUE(waitForEof());
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos) << r.head;
  EXPECT_TRUE(dispatcher_.logs.empty());
  ASSERT_EQ(dispatcher_.rejected.size(), 1u);
  EXPECT_EQ(dispatcher_.rejected[0].status, 413);
}

TEST_F(Http1ServerBody, StopsReadingTheBodyWhileTheHandlerIsPaused) {
  const std::string body = pattern(4u << 20);
  constexpr size_t kPauseAfter = 256 * 1024;
  bool paused = false;
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  dispatcher_.on_body = [&](ExchangeLog& log) {
    if (!paused && log.body.size() >= kPauseAfter) {
      paused = true;
      log.exchange->pauseRequestBody();
    }
  };
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  std::string_view rest = body;
  ASSERT_TRUE(runUntil([&] {
    sendSome(rest);
    return paused;
  }));
  ExchangeLog& log = dispatcher_.logs[0];
  const size_t delivered = log.body.size();
  // The client keeps writing until the kernel buffers are full: the server reads no more.
  spin(200);
  sendSome(rest);
  spin(200);
  EXPECT_EQ(sendSome(rest), 0u) << "the client is blocked: the server reads nothing";
  EXPECT_GT(rest.size(), 0u);
  spin(200);
  EXPECT_EQ(log.body.size(), delivered) << "nothing delivered while paused";

  log.exchange->resumeRequestBody();
  ASSERT_TRUE(runUntil([&] {
    sendSome(rest);
    return log.request_end;
  }));
  EXPECT_TRUE(log.body == body);
  respond(*log.exchange, 200, "");
  EXPECT_EQ(waitResponse().status, 200);
}

TEST_F(Http1ServerBody, HoldsTheResponseWhileTheClientDoesNotReadAndReportsTheDrain) {
  const std::string body = pattern(8u << 20);
  dispatcher_.on_dispatch = [&](ExchangeLog& log) {
    log.exchange->respondHead(testsupport::responseHead(200, body.size()));
    testsupport::sendBody(*log.exchange, body);  // all at once; the codec must queue it
  };
  dispatcher_.on_drained = [](ExchangeLog& log) {
    if (log.exchange) log.exchange->respondEnd();
  };
  start();
  send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 1; }));
  ExchangeLog& log = dispatcher_.logs[0];
  spin(200);
  EXPECT_GT(conn_->pendingOutput(), Exchange::kHighWatermark);
  ASSERT_NE(log.exchange, nullptr);
  EXPECT_TRUE(log.exchange->downstreamFull());
  EXPECT_EQ(log.drained, 0) << "not drained while the client does not read";

  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body);
  EXPECT_GE(log.drained, 1);
  EXPECT_TRUE(log.completed);
  EXPECT_EQ(log.record.bytes_sent, body.size());
}

// A pause only holds a body back: once the whole request is in, it does not stop the reading
// that notices a client going away (a handler pauses so while it retries on another backend).
TEST_F(Http1ServerBody, AClientLeavingAfterItsWholeRequestIsNoticedEvenIfTheHandlerPauses) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  dispatcher_.on_request_end = [](ExchangeLog& log) { log.exchange->pauseRequestBody(); };
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nwhole");
  ASSERT_TRUE(
      runUntil([&] { return !dispatcher_.logs.empty() && dispatcher_.logs[0].request_end; }));
  ::close(client_);
  client_ = -1;
  ExchangeLog& log = dispatcher_.logs[0];
  ASSERT_TRUE(runUntil([&] { return log.reset; }));
  EXPECT_TRUE(log.record.aborted);
  EXPECT_EQ(log.record.status, 499);
}

TEST_F(Http1ServerBody, AClientLeavingMidBodyResetsTheHandler) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  start();
  send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhalf.");
  ASSERT_TRUE(
      runUntil([&] { return !dispatcher_.logs.empty() && dispatcher_.logs[0].body.size() == 5; }));
  ::close(client_);
  client_ = -1;
  ExchangeLog& log = dispatcher_.logs[0];
  ASSERT_TRUE(runUntil([&] { return log.reset; }));
  EXPECT_FALSE(log.request_end);
  EXPECT_TRUE(log.completed);
  EXPECT_TRUE(log.record.aborted);
  EXPECT_EQ(log.record.status, 499);
  ASSERT_TRUE(runUntil([&] { return closed_count_ == 1; }));
}

}  // namespace
}  // namespace gatehouse::http
