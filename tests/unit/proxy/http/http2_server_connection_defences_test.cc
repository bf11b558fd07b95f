// Http2ServerConnection component tests for the defences: rapid reset (CVE-2023-44487) and
// its server-side twin, empty DATA floods, oversized header lists. Floods are sent as raw
// frames: a well-behaved client library refuses to send them.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "proxy/http/http2_server_connection.h"
#include "tests/unit/proxy/http/http2_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientStream;
using testsupport::ExchangeLog;
using testsupport::rawFrame;
using testsupport::rawPreface;
using testsupport::rawRequest;
using testsupport::rawReset;
using Http2Defences = testsupport::Http2ServerConnectionTest;

TEST_F(Http2Defences, RapidResetEndsTheConnectionWithEnhanceYourCalm) {
  start();
  std::string flood = rawPreface();
  for (uint32_t i = 0; i < 1000; ++i) {
    const uint32_t id = 2 * i + 1;
    flood += rawRequest(id, false, true);
    flood += rawReset(id, NGHTTP2_CANCEL);
  }
  sendRaw(flood);
  std::optional<testsupport::RawFrame> goaway = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(testsupport::errorCodeOf(*goaway), NGHTTP2_ENHANCE_YOUR_CALM);
  EXPECT_TRUE(waitRawEof());
  // Every stream that got through was reset and completed; most never got through.
  EXPECT_LE(dispatcher_.logs.size(), settings_.budgets.max_resets + 1u);
  for (const auto& log : dispatcher_.logs)
    EXPECT_TRUE(log.completed);
  EXPECT_EQ(dispatcher_.in_flight, 0);
  ::shutdown(client_fd_, SHUT_WR);
  EXPECT_TRUE(runUntil([&] { return closed_count_ == 1; }));
}

TEST_F(Http2Defences, ResetsUnderTheLimitAreFine) {
  settings_.budgets.max_resets = 100;
  start();
  std::string resets = rawPreface();
  for (uint32_t i = 0; i < 100; ++i) {
    resets += rawRequest(2 * i + 1, false, true);
    resets += rawReset(2 * i + 1, NGHTTP2_CANCEL);
  }
  resets += rawRequest(201, false, true);
  sendRaw(resets);
  ASSERT_TRUE(runUntil([&] { return dispatcher_.logs.size() == 101; }));
  testsupport::respond(*dispatcher_.logs.back().exchange, 200, "ok");
  std::optional<testsupport::RawFrame> data = waitRawFrame(NGHTTP2_DATA);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->stream, 201u);
  EXPECT_EQ(data->payload, "ok");
  EXPECT_EQ(closed_count_, 0);
}

TEST_F(Http2Defences, StreamErrorsTheClientProvokesCountAsResets) {
  // "MadeYouReset": a request nghttp2 finds malformed (an uppercase field name) costs the
  // client nothing and makes the server reset the stream (PROTOCOL_ERROR). nghttp2 refuses
  // what is over max_concurrent_streams (128) until its resets are out: a budget below that.
  settings_.budgets.max_resets = 100;
  start();
  std::string block = {'\x82', '\x84', '\x86', '\x01', '\x01', 'a', '\x00', '\x03'};
  block += "X-A";
  block += {'\x01', 'b'};
  std::string flood = rawPreface();
  for (uint32_t i = 0; i < 300; ++i)
    flood += rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM,
                      2 * i + 1, block);
  sendRaw(flood);
  std::optional<testsupport::RawFrame> reset = waitRawFrame(NGHTTP2_RST_STREAM);
  ASSERT_TRUE(reset);
  EXPECT_EQ(testsupport::errorCodeOf(*reset), NGHTTP2_PROTOCOL_ERROR);
  std::optional<testsupport::RawFrame> goaway = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(testsupport::errorCodeOf(*goaway), NGHTTP2_ENHANCE_YOUR_CALM);
  EXPECT_TRUE(dispatcher_.logs.empty());
}

TEST_F(Http2Defences, EmptyDataFloodEndsTheConnection) {
  start();
  std::string flood = rawPreface() + rawRequest(1, true, false);
  for (int i = 0; i < 500; ++i)
    flood += rawFrame(NGHTTP2_DATA, 0, 1, "");
  sendRaw(flood);
  std::optional<testsupport::RawFrame> goaway = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(testsupport::errorCodeOf(*goaway), NGHTTP2_ENHANCE_YOUR_CALM);
  EXPECT_TRUE(waitRawEof());
  ::shutdown(client_fd_, SHUT_WR);
  ASSERT_TRUE(runUntil([&] { return closed_count_ == 1; }));
  ASSERT_EQ(dispatcher_.logs.size(), 1u);
  EXPECT_TRUE(dispatcher_.logs[0].completed);
  EXPECT_TRUE(dispatcher_.logs[0].reset) << "its handler hears the connection went";
}

TEST_F(Http2Defences, Answers431ToAHeaderListOverTheLimit) {
  settings_.max_header_list_size = 4096;
  start();
  startClient();
  int32_t id = client_->request("GET", "/", {{"x-big", std::string(5000, 'a')}});
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.statuses, std::vector<int>{431});
  EXPECT_TRUE(dispatcher_.logs.empty());
  ASSERT_TRUE(runUntil([&] { return dispatcher_.rejected.size() == 1; }));
  EXPECT_EQ(dispatcher_.rejected[0].status, 431);
  // Just under the limit is fine, on the same connection.
  int32_t ok = client_->request("GET", "/", {{"x-big", std::string(3500, 'a')}});
  testsupport::respond(*waitDispatched(1).exchange, 200, "ok");
  EXPECT_EQ(waitClosed(ok).statuses, std::vector<int>{200});
}

TEST_F(Http2Defences, RefusesAnythingButHttp2AtTheStart) {
  start();
  sendRaw("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(waitRawEof());
  EXPECT_TRUE(dispatcher_.logs.empty());
  ::shutdown(client_fd_, SHUT_WR);
  EXPECT_TRUE(runUntil([&] { return closed_count_ == 1; }));
}

// Issue 14, defect 10: one validation for both protocols. What HTTP/1 refuses in a Host or a
// request-line never reaches the pipeline through HTTP/2 either: 400 (or a reset, where nghttp2
// refuses the field itself), and nothing dispatched.
TEST_F(Http2Defences, AuthorityAndPathHttp1WouldRefuseAreRefused) {
  start();
  startClient();
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      {{":authority", "victim@evil"}},
      {{":authority", "a,b"}},
      {{":authority", "a b"}},
      {{":path", "/a#b"}},
      {{":path", "/caf\xc3\xa9"}},
      {{":path", "/a\x7f"}},
      {{":scheme", "javascript"}},
      {{"host", "other.example"}},  // differs from :authority (RFC 9113 §8.3.1)
      {{":authority", ""}},         // neither :authority nor Host
  };
  std::vector<int32_t> ids;
  for (const auto& fields : bad)
    ids.push_back(client_->request("GET", "/", fields));
  for (size_t i = 0; i < ids.size(); ++i) {
    ClientStream& s = waitClosed(ids[i]);
    if (s.reset && s.statuses.empty()) continue;
    ASSERT_FALSE(s.statuses.empty()) << "case " << i;
    EXPECT_EQ(s.statuses.back(), 400) << "case " << i;
  }
  EXPECT_TRUE(dispatcher_.logs.empty());
}

TEST_F(Http2Defences, HostAloneStandsInForAuthority) {
  start();
  startClient();
  client_->request("GET", "/", {{":authority", ""}, {"host", "example.org:8443"}});
  ExchangeLog& log = waitDispatched(1);
  EXPECT_EQ(log.request.authority, "example.org:8443");
}

}  // namespace
}  // namespace gatehouse::http
