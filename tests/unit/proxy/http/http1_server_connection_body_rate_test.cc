// Http1ServerConnection component tests: the minimum request body rate (timeouts.client_body,
// limits.min_body_rate). Issue 14, defect 12: a body sent at 1 byte/s was accepted for as long
// as the client liked, and passed on to the backend. Windows here are 100 ms long.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "proxy/http/http1_server_connection.h"
#include "proxy/http/request_body_counters.h"
#include "tests/unit/proxy/http/http1_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using namespace std::chrono_literals;
using testsupport::ClientResponse;
using testsupport::ExchangeLog;
using testsupport::respond;
using Clock = std::chrono::steady_clock;

class Http1BodyRate : public testsupport::Http1ServerConnectionTest {
 protected:
  void SetUp() override {
    Http1ServerConnectionTest::SetUp();
    settings_.body_rate = BodyRateLimit{Duration(100), 1024};  // 102 bytes per window
    dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
    dispatcher_.on_request_end = [](ExchangeLog& log) { respond(*log.exchange, 200, "done"); };
  }
  uint64_t timeouts() const { return RequestBodyCounters::process().body_timeouts_http1.load(); }
  // Sends `piece` every `every` until the connection closes or `limit` passes (or `count`
  // pieces are sent); true if it closed.
  bool trickle(std::string_view piece, std::chrono::milliseconds every,
               std::chrono::milliseconds limit = 3s, size_t count = SIZE_MAX) {
    auto next = Clock::now();
    size_t sent = 0;
    runUntil(
        [&] {
          if (Clock::now() >= next && sent < count) {
            next += every;
            ++sent;
            EXPECT_EQ(::write(client_, piece.data(), piece.size()),
                      static_cast<ssize_t>(piece.size()));
          }
          readClient();
          return client_eof_ || (sent == count && Clock::now() >= next);
        },
        limit);
    return client_eof_;
  }
};

TEST_F(Http1BodyRate, ABodyTricklingBelowTheMinimumRateGets408AndTheHandlerIsReset) {
  const uint64_t before = timeouts();
  start();
  send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
  const auto started = Clock::now();
  ASSERT_TRUE(trickle("x", 10ms)) << "still open after 3 s at 100 bytes/s";
  EXPECT_LT(Clock::now() - started, 2s);
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 408);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos) << r.head;
  ASSERT_EQ(dispatcher_.logs.size(), 1u);
  EXPECT_TRUE(dispatcher_.logs[0].reset) << "the backend side is told to stop";
  EXPECT_FALSE(dispatcher_.logs[0].request_end);
  EXPECT_EQ(timeouts(), before + 1);
}

TEST_F(Http1BodyRate, ABodyThatNeverStartsGets408AfterClientBody) {
  start();
  send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n");
  ASSERT_TRUE(waitForEof(2s));
  EXPECT_EQ(waitResponse().status, 408);
}

TEST_F(Http1BodyRate, AChunkedBodyIsTimedLikeAnyOther) {
  start();
  send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(trickle("1\r\nx\r\n", 10ms));
  EXPECT_EQ(waitResponse().status, 408);
}

TEST_F(Http1BodyRate, ABodyAboveTheMinimumRateIsNotCut) {
  start();
  send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n");
  // 50 bytes per 20 ms: 2.5 KB/s over 800 ms, eight windows.
  EXPECT_FALSE(trickle(std::string(50, 'y'), 20ms, 3s, 40));
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done");
}

// While the handler holds the body back (backpressure from a backend) the client is not
// reading-blocked by its own fault: that time does not count.
TEST_F(Http1BodyRate, TimeWhileTheHandlerPausedTheBodyDoesNotCount) {
  bool paused = false;
  dispatcher_.on_body = [&](ExchangeLog& log) {
    if (!std::exchange(paused, true)) log.exchange->pauseRequestBody();
  };
  start();
  send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nfirst");
  ASSERT_TRUE(runUntil([&] { return paused; }));
  send("later");
  spin();
  const auto until = Clock::now() + 400ms;  // four windows
  runUntil([&] {
    readClient();
    return client_eof_ || Clock::now() > until;
  });
  EXPECT_FALSE(client_eof_) << "cut while paused: " << received_;
  dispatcher_.logs[0].exchange->resumeRequestBody();
  ClientResponse r = waitResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(dispatcher_.logs[0].body, "firstlater");
}

// After an early answer the rest of the body is dropped under the same rate: a trickle closes
// the connection, without a 408 after the answer.
TEST_F(Http1BodyRate, ATrickleAfterAnEarlyAnswerClosesWithoutASecondResponse) {
  dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->respondError(403, "no"); };
  start();
  send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 403);
  EXPECT_TRUE(trickle("1\r\nx\r\n", 10ms));
  EXPECT_EQ(received_, "");
}

}  // namespace
}  // namespace gatehouse::http
