// Http2ServerConnection component tests for the deadlines of issue 14, defect 1: a header block
// left unfinished (timeouts.client_header), a response the client's flow-control window or
// socket holds back (timeouts.client_send). Without them a client pinned a stream, its handler
// and a backend connection for as long as it liked.
#include <gtest/gtest.h>

#include <string>

#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_server_connection.h"
#include "tests/unit/proxy/http/http2_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientStream;
using testsupport::ExchangeLog;
using testsupport::rawFrame;
using testsupport::rawPreface;
using Http2Timeouts = testsupport::Http2ServerConnectionTest;
using namespace std::chrono_literals;

// The request block of rawRequest(): :method GET, :path /, :scheme http, :authority a.
const std::string kBlock = {'\x82', '\x84', '\x86', '\x01', '\x01', 'a'};

uint64_t headerTimeouts() {
  return Http2Counters::process().header_timeouts.load();
}
uint64_t sendTimeouts() {
  return Http2Counters::process().send_timeouts.load();
}

TEST_F(Http2Timeouts, AHeaderBlockNeverContinuedEndsTheConnection) {
  settings_.header_timeout = Duration(100);  // idle_timeout stays 60 s: this must not wait for it
  const uint64_t before = headerTimeouts();
  start();
  sendRaw(rawPreface() + rawFrame(NGHTTP2_HEADERS, 0, 1, kBlock.substr(0, 3)));
  std::optional<testsupport::RawFrame> goaway = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway) << "the connection stayed open with a header block pending";
  EXPECT_EQ(testsupport::errorCodeOf(*goaway), NGHTTP2_PROTOCOL_ERROR);
  EXPECT_TRUE(waitRawEof());
  EXPECT_EQ(headerTimeouts(), before + 1);
  EXPECT_TRUE(dispatcher_.logs.empty());
}

TEST_F(Http2Timeouts, AHeadersFrameCutShortEndsTheConnection) {
  settings_.header_timeout = Duration(100);
  start();
  // END_HEADERS is set, but the frame says 6 bytes and only 3 come.
  const std::string frame = rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, kBlock);
  sendRaw(rawPreface() + frame.substr(0, frame.size() - 3));
  std::optional<testsupport::RawFrame> goaway = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(testsupport::errorCodeOf(*goaway), NGHTTP2_PROTOCOL_ERROR);
}

TEST_F(Http2Timeouts, AHeaderBlockCompletedInTimeIsServedAndTheDeadlineGoes) {
  settings_.header_timeout = Duration(150);
  start();
  sendRaw(rawPreface() +
          rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, kBlock.substr(0, 3)));
  spin(5);
  sendRaw(rawFrame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1, kBlock.substr(3)));
  ExchangeLog& log = waitDispatched(1);
  EXPECT_EQ(log.request.target, "/");
  // The handler takes its time (its own timeouts apply): the head's deadline is over.
  EXPECT_FALSE(runUntil([&] { return raw_eof_ || closed_count_ > 0; }, 400ms));
  testsupport::respond(*log.exchange, 200, "ok");
  std::optional<testsupport::RawFrame> data = waitRawFrame(NGHTTP2_DATA);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->payload, "ok");
}

TEST_F(Http2Timeouts, AResponseTheClientsWindowHoldsBackIsResetAndItsHandlerReleased) {
  settings_.send_timeout = Duration(100);
  const uint64_t before = sendTimeouts();
  start();
  startClient();
  client_->setStreamWindow(0);  // DATA may not flow until the client says so, and it never will
  int32_t id = client_->request("GET", "/big");
  ExchangeLog& log = waitDispatched(1);
  log.exchange->respondHead(testsupport::responseHead(200, 1u << 20));
  testsupport::sendBody(*log.exchange, testsupport::pattern(100000));
  ClientStream& s = waitClosed(id);
  EXPECT_TRUE(s.reset);
  EXPECT_EQ(s.error_code, NGHTTP2_CANCEL);
  EXPECT_EQ(s.statuses, std::vector<int>{200});
  EXPECT_TRUE(log.reset) << "the handler (and its backend connection) is let go";
  ASSERT_TRUE(runUntil([&] { return log.completed; }));
  EXPECT_EQ(sendTimeouts(), before + 1);
  // The connection itself is fine: another request is served.
  client_->setStreamWindow(65535);
  int32_t next = client_->request("GET", "/small");
  testsupport::respond(*waitDispatched(2).exchange, 200, "small");
  EXPECT_EQ(waitClosed(next).body, "small");
}

TEST_F(Http2Timeouts, AResponseThatKeepsMovingSlowlyIsNotReset) {
  settings_.send_timeout = Duration(150);
  start();
  startClient(16 << 10);  // the client opens its window 16 KiB at a time, as it reads
  int32_t id = client_->request("GET", "/slow");
  ExchangeLog& log = waitDispatched(1);
  const std::string body = testsupport::pattern(256 << 10);
  log.exchange->respondHead(testsupport::responseHead(200, body.size()));
  testsupport::sendBody(*log.exchange, body);
  log.exchange->respondEnd();
  // The client reads every 60 ms: each read moves the response, well within 150 ms, for ~1 s.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  client_->read_paused = true;
  while (!client_->stream(id).closed && std::chrono::steady_clock::now() < deadline) {
    runUntil([] { return false; }, 60ms);
    client_->read_paused = false;
    client_->pump();
    client_->read_paused = true;
  }
  ClientStream& s = client_->stream(id);
  ASSERT_TRUE(s.closed);
  EXPECT_FALSE(s.reset);
  EXPECT_TRUE(s.body == body);
}

TEST_F(Http2Timeouts, AClientThatStopsReadingIsClosedAfterSendTimeout) {
  settings_.send_timeout = Duration(100);  // idle_timeout stays 60 s
  start();
  startClient();
  int32_t id = client_->request("GET", "/big");
  ExchangeLog& log = waitDispatched(1);
  client_->read_paused = true;
  const std::string body = testsupport::pattern(8 << 20);  // far more than the socket holds
  log.exchange->respondHead(testsupport::responseHead(200, body.size()));
  testsupport::sendBody(*log.exchange, body);
  ASSERT_TRUE(runUntil([&] { return closed_count_ == 1; }, 3s));
  EXPECT_TRUE(log.reset);
  (void)id;
}

}  // namespace
}  // namespace gatehouse::http
