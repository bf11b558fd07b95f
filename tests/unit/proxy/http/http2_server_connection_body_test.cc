// Http2ServerConnection component tests for bodies: request bodies held back until the handler
// asks and flow control that follows what the handler took, 100-continue, the body limit, and
// response backpressure (pendingOutput, onDownstreamDrained).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "proxy/http/http2_server_connection.h"
#include "tests/unit/proxy/http/http2_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientStream;
using testsupport::ExchangeLog;
using testsupport::pattern;
using testsupport::respond;
using testsupport::responseHead;
using Http2Body = testsupport::Http2ServerConnectionTest;

TEST_F(Http2Body, HoldsTheBodyUntilResumedAndOpensTheWindowOnlyForWhatWasTaken) {
  start();
  startClient();
  const std::string body = pattern(2 << 20);  // many stream windows
  int32_t id =
      client_->request("POST", "/upload", {{"content-length", std::to_string(body.size())}}, body);
  ExchangeLog& log = waitDispatched(1);
  EXPECT_TRUE(log.request.has_body);
  EXPECT_EQ(log.request.content_length, body.size());
  EXPECT_FALSE(log.request.headers.has("content-length")) << "framing is the codec's";
  EXPECT_FALSE(log.request_end);

  // The client may send one stream window and no more until the handler takes bytes.
  ASSERT_TRUE(runUntil([&] { return client_->remoteWindow(id) == 0; }));
  spin(20);
  EXPECT_EQ(client_->stream(id).uploaded, settings_.initial_window_size);
  EXPECT_EQ(client_->stream(id).window_updates, 0);
  EXPECT_EQ(log.body.size(), 0u);

  log.exchange->resumeRequestBody();
  ASSERT_TRUE(runUntil([&] { return log.request_end; }));
  EXPECT_EQ(log.body.size(), body.size());
  EXPECT_TRUE(log.body == body);
  EXPECT_GT(client_->stream(id).window_updates, 0);
  respond(*log.exchange, 201, "stored");
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.statuses, std::vector<int>{201});
  EXPECT_EQ(s.body, "stored");
  ASSERT_TRUE(runUntil([&] { return log.completed; }));
  EXPECT_EQ(log.record.bytes_received, body.size());
}

TEST_F(Http2Body, APausedHandlerGetsNothingMoreAndTheClientWaits) {
  bool paused = false;
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  dispatcher_.on_body = [&](ExchangeLog& log) {
    if (paused) return;
    paused = true;
    log.exchange->pauseRequestBody();  // a slow backend
  };
  start();
  startClient();
  const std::string body = pattern(3 << 20);
  int32_t id = client_->request("POST", "/slow", {}, body);
  ExchangeLog& log = waitDispatched(1);
  ASSERT_TRUE(runUntil([&] { return paused; }));
  const size_t first = log.body.size();
  ASSERT_TRUE(runUntil([&] { return client_->remoteWindow(id) == 0; }));
  spin(20);
  EXPECT_EQ(log.body.size(), first) << "nothing is handed over while paused";
  EXPECT_EQ(client_->stream(id).window_updates, 0) << "the window stays closed while paused";
  EXPECT_LE(client_->stream(id).uploaded, settings_.initial_window_size);

  log.exchange->resumeRequestBody();
  ASSERT_TRUE(runUntil([&] { return log.request_end; }));
  EXPECT_TRUE(log.body == body);
  respond(*log.exchange, 200, "ok");
  waitClosed(id);
}

// Issue 14, item 3: with the default settings, a paused upload held up to 1 MiB per stream
// (16 MiB per connection) against about 76 KiB for HTTP/1. The window a client gets is what a
// paused stream may buffer, so it is now comparable: 64 KiB, and no WINDOW_UPDATE while paused.
TEST_F(Http2Body, APausedUploadBuffersNoMoreThanHttp1Would) {
  constexpr size_t kHttp1ReadBuffer = 76 << 10;
  start();  // default settings, as `http2:` defaults to
  startClient();
  const std::string body = pattern(1 << 20);
  int32_t id = client_->request("POST", "/upload", {}, body);
  ExchangeLog& log = waitDispatched(1);  // the handler never asks for the body
  ASSERT_TRUE(runUntil([&] { return client_->remoteWindow(id) == 0; }));
  spin(20);
  EXPECT_LE(client_->stream(id).uploaded, kHttp1ReadBuffer);
  EXPECT_EQ(client_->stream(id).window_updates, 0);
  EXPECT_EQ(log.body.size(), 0u);
  log.exchange->resumeRequestBody();  // and once it does, the whole body flows
  ASSERT_TRUE(runUntil([&] { return log.request_end; }));
  EXPECT_TRUE(log.body == body);
  respond(*log.exchange, 200, "ok");
  waitClosed(id);
}

TEST_F(Http2Body, AnswersExpectContinueWhenTheHandlerAsksForTheBody) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  dispatcher_.on_request_end = [](ExchangeLog& log) {
    respond(*log.exchange, 200, "got " + log.body);
  };
  start();
  startClient();
  int32_t id = client_->request("PUT", "/x", {{"expect", "100-continue"}}, std::string(), false);
  ExchangeLog& log = waitDispatched(1);
  EXPECT_FALSE(log.request.headers.has("expect")) << "answered here, not by the backend";
  ASSERT_TRUE(runUntil([&] { return !client_->stream(id).statuses.empty(); }));
  EXPECT_EQ(client_->stream(id).statuses, std::vector<int>{100});
  client_->addUpload(id, "data", true);
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.statuses, (std::vector<int>{100, 200}));
  EXPECT_EQ(s.body, "got data");
}

TEST_F(Http2Body, DeliversTheBodyBeforeTrailersEndIt) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  start();
  // Raw frames: HEADERS, DATA, then trailers (lowercase literal "x-sum: 1") with END_STREAM.
  std::string trailer = {'\x00', '\x05'};
  trailer += "x-sum";
  trailer += {'\x01', '1'};
  sendRaw(testsupport::rawPreface() + testsupport::rawRequest(1, true, false) +
          testsupport::rawFrame(NGHTTP2_DATA, 0, 1, "abc") +
          testsupport::rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM,
                                1, trailer));
  ExchangeLog& log = waitDispatched(1);
  ASSERT_TRUE(runUntil([&] { return log.request_end; }));
  EXPECT_EQ(log.body, "abc");
  EXPECT_FALSE(log.request.headers.has("x-sum")) << "trailers are not forwarded";
}

TEST_F(Http2Body, TimesOutAClientThatOwesBodyAndSendsNothing) {
  settings_.idle_timeout = Duration(100);
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  start();
  startClient();
  client_->request("POST", "/slowloris", {{"content-length", "10"}}, std::string("abc"), false);
  ExchangeLog& log = waitDispatched(1);
  ASSERT_TRUE(runUntil([&] { return closed_count_ == 1; }));
  EXPECT_EQ(log.body, "abc");
  EXPECT_TRUE(log.reset);
  EXPECT_TRUE(log.completed);
}

TEST_F(Http2Body, Answers413ToABodyOverTheLimitAndStopsTheHandler) {
  settings_.max_body = 1000;
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
  start();
  startClient();
  int32_t id = client_->request("POST", "/big", {}, pattern(5000));
  ExchangeLog& log = waitDispatched(1);
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.statuses, std::vector<int>{413});
  EXPECT_EQ(s.error_code, NGHTTP2_NO_ERROR) << "a complete answer, then the upload is stopped";
  ASSERT_TRUE(runUntil([&] { return log.completed; }));
  EXPECT_TRUE(log.reset);
  EXPECT_EQ(log.record.status, 413);
  EXPECT_LE(log.body.size(), 1000u);
  EXPECT_FALSE(log.request_end);
  EXPECT_EQ(closed_count_, 0);
}

TEST_F(Http2Body, Answers413ToAContentLengthOverTheLimitWithoutDispatching) {
  settings_.max_body = 1000;
  start();
  startClient();
  int32_t id = client_->request("POST", "/big", {{"content-length", "5000"}}, pattern(5000));
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.statuses, std::vector<int>{413});
  EXPECT_TRUE(dispatcher_.logs.empty());
  ASSERT_EQ(dispatcher_.rejected.size(), 1u);
  EXPECT_EQ(dispatcher_.rejected[0].status, 413);
  // The connection goes on.
  int32_t next = client_->request("GET", "/");
  respond(*waitDispatched(1).exchange, 200, "ok");
  EXPECT_EQ(waitClosed(next).body, "ok");
}

TEST_F(Http2Body, ReportsBackpressureUntilTheClientReadsThenSaysDrained) {
  start();
  startClient();
  int32_t id = client_->request("GET", "/download");
  ExchangeLog& log = waitDispatched(1);
  client_->read_paused = true;
  const std::string body = pattern(4 << 20);
  log.exchange->respondHead(responseHead(200, body.size()));
  testsupport::sendBody(*log.exchange, body);
  EXPECT_TRUE(log.exchange->downstreamFull());
  spin(50);
  EXPECT_TRUE(log.exchange->downstreamFull()) << "a client that does not read keeps it full";
  EXPECT_EQ(log.drained, 0);

  client_->read_paused = false;
  ASSERT_TRUE(runUntil([&] { return log.drained > 0; }));
  EXPECT_FALSE(log.exchange->downstreamFull());
  log.exchange->respondEnd();
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.body.size(), body.size());
  EXPECT_TRUE(s.body == body);
}

// 64 streams of 512 KiB each whose handlers send until told the downstream is full, to a client
// that reads nothing; returns what they sent by then, and checks every body arrives once the
// client reads.
class Http2ResponseBudget : public testsupport::Http2ServerConnectionTest {
 protected:
  size_t heldForAClientThatDoesNotRead();
  // gatehouse_http2_response_buffer_full_total's growth while the client was not reading.
  uint64_t fillings_ = 0;
};

size_t Http2ResponseBudget::heldForAClientThatDoesNotRead() {
  constexpr size_t kStreams = 64;
  constexpr size_t kEach = 512 * 1024;
  constexpr size_t kChunk = 16 * 1024;
  // Each handler sends until told the downstream is full, and again when drained.
  std::map<Exchange*, size_t> sent;
  const uint64_t fillings_before = Http2Counters::process().response_buffer_full.load();
  auto push = [&](ExchangeLog& log) {
    size_t& n = sent[log.exchange];
    while (n < kEach && !log.exchange->downstreamFull()) {
      testsupport::sendBody(*log.exchange, pattern(kChunk));
      n += kChunk;
    }
    if (n == kEach) {
      log.exchange->respondEnd();
      n = kEach + 1;
    }
  };
  dispatcher_.on_dispatch = [&](ExchangeLog& log) {
    log.exchange->respondHead(responseHead(200, kEach));
    push(log);
  };
  dispatcher_.on_drained = [&](ExchangeLog& log) {
    if (log.exchange) push(log);
  };
  start();
  startClient();
  client_->read_paused = true;
  std::vector<int32_t> ids;
  for (size_t i = 0; i < kStreams; ++i)
    ids.push_back(client_->request("GET", "/"));
  waitDispatched(kStreams);
  spin(100);
  size_t total = 0;
  for (auto& [exchange, n] : sent)
    total += std::min(n, kEach);
  fillings_ = Http2Counters::process().response_buffer_full.load() - fillings_before;

  client_->read_paused = false;
  for (int32_t id : ids) {
    ClientStream& s = waitClosed(id);
    EXPECT_EQ(s.body.size(), kEach) << "stream " << id;
  }
  return total;
}

TEST_F(Http2ResponseBudget, ManyStreamsShareOneBudgetWhileTheClientDoesNotRead) {
  const size_t total = heldForAClientThatDoesNotRead();
  // Without the shared budget each stream would hold its own high watermark: 16 MiB here.
  EXPECT_LT(total, settings_.response_buffer + Http2ServerConnection::kOutputHighWatermark +
                       (2 << 20) + 64 * 16 * 1024);
}

TEST_F(Http2ResponseBudget, TheSharedBudgetIsHttp2ResponseBufferAndItsFillingIsCounted) {
  settings_.response_buffer = 1 << 20;  // http2.response_buffer: 1MiB
  const size_t total = heldForAClientThatDoesNotRead();
  // At the 4 MiB default this is 4.2 MB; each handler may add one 16 KiB chunk past the budget.
  EXPECT_LT(total, (1u << 20) + 64 * 16 * 1024);
  EXPECT_GT(total, 512u * 1024) << "the budget is spent before anyone waits";
  // Filled once: counted when it fills, not on every look while it stays full.
  EXPECT_EQ(fillings_, 1u);
}

}  // namespace
}  // namespace gatehouse::http
