// Http2ServerConnection component tests: the minimum request body rate per stream
// (timeouts.client_body, limits.min_body_rate). Issue 14, defect 12: a body sent at 1 byte/s
// was accepted for as long as the client liked. Windows here are 100 ms long.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>

#include "proxy/http/http2_server_connection.h"
#include "proxy/http/request_body_counters.h"
#include "tests/unit/proxy/http/http2_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using namespace std::chrono_literals;
using testsupport::ClientStream;
using testsupport::ExchangeLog;
using testsupport::respond;
using Clock = std::chrono::steady_clock;

class Http2BodyRate : public testsupport::Http2ServerConnectionTest {
 protected:
  void SetUp() override {
    Http2ServerConnectionTest::SetUp();
    settings_.body_rate = BodyRateLimit{Duration(100), 1024};  // 102 bytes per window
    dispatcher_.on_dispatch = [](ExchangeLog& log) { log.exchange->resumeRequestBody(); };
    dispatcher_.on_request_end = [](ExchangeLog& log) { respond(*log.exchange, 200, "done"); };
  }
  uint64_t timeouts() const { return RequestBodyCounters::process().body_timeouts_http2.load(); }
  int32_t upload(size_t length) {
    return client_->request("POST", "/up", {{"content-length", std::to_string(length)}},
                            std::string(), false);
  }
};

TEST_F(Http2BodyRate, AStreamTricklingItsBodyGets408AndTheHandlerIsReset) {
  const uint64_t before = timeouts();
  start();
  startClient();
  const int32_t id = upload(100000);
  auto next = Clock::now();
  const bool closed = runUntil(
      [&] {
        if (Clock::now() >= next) {
          next += 10ms;
          client_->addUpload(id, "x", false);
        }
        return client_->stream(id).closed;
      },
      3s);
  ASSERT_TRUE(closed) << "still open after 3 s at 100 bytes/s";
  EXPECT_EQ(client_->stream(id).statuses, std::vector<int>{408});
  ASSERT_EQ(dispatcher_.logs.size(), 1u);
  EXPECT_TRUE(dispatcher_.logs[0].reset);
  EXPECT_FALSE(dispatcher_.logs[0].request_end);
  EXPECT_EQ(timeouts(), before + 1);
}

TEST_F(Http2BodyRate, AStreamWhoseBodyNeverStartsGets408) {
  start();
  startClient();
  const int32_t id = upload(10);
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.statuses, std::vector<int>{408});
}

TEST_F(Http2BodyRate, TimeWhileTheHandlerPausedTheBodyDoesNotCount) {
  bool paused = false;
  dispatcher_.on_body = [&](ExchangeLog& log) {
    if (!std::exchange(paused, true)) log.exchange->pauseRequestBody();
  };
  start();
  startClient();
  const int32_t id = upload(10);
  client_->addUpload(id, "first", false);
  ASSERT_TRUE(runUntil([&] { return paused; }));
  client_->addUpload(id, "later", true);
  const auto until = Clock::now() + 400ms;  // four windows
  runUntil([&] { return client_->stream(id).closed || Clock::now() > until; });
  EXPECT_FALSE(client_->stream(id).closed) << "cut while paused";
  dispatcher_.logs[0].exchange->resumeRequestBody();
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.statuses, std::vector<int>{200});
  EXPECT_EQ(dispatcher_.logs[0].body, "firstlater");
}

}  // namespace
}  // namespace gatehouse::http
