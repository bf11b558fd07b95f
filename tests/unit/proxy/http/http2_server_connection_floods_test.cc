// Http2ServerConnection component tests for the frame budgets (issue 14): SETTINGS, PING,
// WINDOW_UPDATE and CONTINUATION floods each end the connection with GOAWAY
// ENHANCE_YOUR_CALM, counted; an HPACK table size above ours is a COMPRESSION_ERROR. Sent as raw
// frames: a client library would not send them. Rapid reset and empty DATA are in
// http2_server_connection_defences_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_server_connection.h"
#include "tests/unit/proxy/http/http2_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::rawFrame;
using testsupport::rawPreface;
using testsupport::rawRequest;
using Http2Floods = testsupport::Http2ServerConnectionTest;

uint64_t limitCount(Http2Limit limit) {
  return Http2Counters::process().limits_exceeded[static_cast<size_t>(limit)].load();
}

std::string repeated(const std::string& frame, int times) {
  std::string out;
  for (int i = 0; i < times; ++i)
    out += frame;
  return out;
}

std::string windowUpdate(uint32_t stream, uint32_t increment) {
  std::string payload;
  for (int shift = 24; shift >= 0; shift -= 8)
    payload += static_cast<char>((increment >> shift) & 0xff);
  return rawFrame(NGHTTP2_WINDOW_UPDATE, 0, stream, payload);
}

// Sends `flood` after the preface; the connection must end with GOAWAY ENHANCE_YOUR_CALM and
// the limit be counted once.
void expectCalm(Http2Floods& test, std::optional<testsupport::RawFrame> goaway, Http2Limit limit,
                uint64_t before) {
  ASSERT_TRUE(goaway) << "no GOAWAY for a flood of " << kHttp2LimitLabels[size_t(limit)];
  EXPECT_EQ(testsupport::errorCodeOf(*goaway), NGHTTP2_ENHANCE_YOUR_CALM);
  EXPECT_EQ(limitCount(limit), before + 1);
  (void)test;
}

TEST_F(Http2Floods, ASettingsFloodEndsWithEnhanceYourCalm) {
  settings_.budgets.max_settings = 20;
  const uint64_t before = limitCount(Http2Limit::Settings);
  start();
  sendRaw(rawPreface() + repeated(rawFrame(NGHTTP2_SETTINGS, 0, 0, ""), 25));
  expectCalm(*this, waitRawFrame(NGHTTP2_GOAWAY), Http2Limit::Settings, before);
  EXPECT_TRUE(waitRawEof());
}

TEST_F(Http2Floods, APingFloodEndsWithEnhanceYourCalm) {
  settings_.budgets.max_pings = 20;
  const uint64_t before = limitCount(Http2Limit::Pings);
  start();
  sendRaw(rawPreface() + repeated(rawFrame(NGHTTP2_PING, 0, 0, std::string(8, 'p')), 25));
  expectCalm(*this, waitRawFrame(NGHTTP2_GOAWAY), Http2Limit::Pings, before);
}

TEST_F(Http2Floods, PingsUnderTheBudgetAreAnswered) {
  settings_.budgets.max_pings = 20;
  start();
  sendRaw(rawPreface() + repeated(rawFrame(NGHTTP2_PING, 0, 0, std::string(8, 'p')), 20));
  for (int i = 0; i < 20; ++i) {
    std::optional<testsupport::RawFrame> ack = waitRawFrame(NGHTTP2_PING);
    ASSERT_TRUE(ack) << i;
    EXPECT_EQ(ack->flags, NGHTTP2_FLAG_ACK);
  }
  EXPECT_EQ(closed_count_, 0);
}

TEST_F(Http2Floods, AWindowUpdateFloodEndsWithEnhanceYourCalm) {
  settings_.budgets.max_window_updates = 50;
  const uint64_t before = limitCount(Http2Limit::WindowUpdates);
  start();
  sendRaw(rawPreface() + repeated(windowUpdate(0, 1), 60));
  expectCalm(*this, waitRawFrame(NGHTTP2_GOAWAY), Http2Limit::WindowUpdates, before);
}

TEST_F(Http2Floods, WindowUpdatesThatAcknowledgeOurDataAreNoFlood) {
  // A 16 KiB window: the client sends two WINDOW_UPDATEs per 16 KiB it reads, ~130 for 1 MiB,
  // far over a budget of 10 not earned by DATA.
  settings_.budgets.max_window_updates = 10;
  start();
  startClient(16 << 10);
  int32_t id = client_->request("GET", "/big");
  const std::string body = testsupport::pattern(1 << 20);
  testsupport::respond(*waitDispatched(1).exchange, 200, body);
  testsupport::ClientStream& s = waitClosed(id);
  EXPECT_FALSE(s.reset);
  EXPECT_TRUE(s.body == body);
  EXPECT_EQ(client_->goaways, 0);
}

TEST_F(Http2Floods, AContinuationFloodEndsWithEnhanceYourCalm) {
  settings_.max_continuations = 4;
  const uint64_t before = limitCount(Http2Limit::Continuations);
  start();
  std::string flood = rawPreface() + rawFrame(NGHTTP2_HEADERS, 0, 1, "\x82\x84");
  flood += repeated(rawFrame(NGHTTP2_CONTINUATION, 0, 1, ""), 5);
  sendRaw(flood);
  expectCalm(*this, waitRawFrame(NGHTTP2_GOAWAY), Http2Limit::Continuations, before);
  EXPECT_TRUE(dispatcher_.logs.empty());
}

TEST_F(Http2Floods, ContinuationsUnderTheLimitMakeARequest) {
  settings_.max_continuations = 4;
  start();
  std::string block = {'\x82', '\x84', '\x86', '\x01', '\x01', 'a'};
  std::string frames = rawPreface() + rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, "");
  for (int i = 0; i < 4; ++i)
    frames += rawFrame(NGHTTP2_CONTINUATION, i == 3 ? NGHTTP2_FLAG_END_HEADERS : 0, 1,
                       i == 3 ? block : "");
  sendRaw(frames);
  EXPECT_EQ(waitDispatched(1).request.authority, "a");
}

TEST_F(Http2Floods, AdvertisesItsHpackTableSizeAndRefusesALargerOne) {
  settings_.header_table_size = 256;
  start();
  sendRaw(rawPreface());
  std::optional<testsupport::RawFrame> settings = waitRawFrame(NGHTTP2_SETTINGS);
  ASSERT_TRUE(settings);
  const std::string entry = {'\x00', '\x01', '\x00', '\x00', '\x01', '\x00'};  // TABLE_SIZE 256
  EXPECT_NE(settings->payload.find(entry), std::string::npos);
  // Once our SETTINGS are acknowledged, a dynamic table size update to 4096 is an error.
  std::string block = {'\x3f', '\xe1', '\x1f'};
  block += {'\x82', '\x84', '\x86', '\x01', '\x01', 'a'};
  sendRaw(rawFrame(NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, "") +
          rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 1, block));
  std::optional<testsupport::RawFrame> goaway = waitRawFrame(NGHTTP2_GOAWAY);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(testsupport::errorCodeOf(*goaway), NGHTTP2_COMPRESSION_ERROR);
  EXPECT_TRUE(dispatcher_.logs.empty());
}

TEST_F(Http2Floods, CountsTheGoawaysItSendsByErrorCode) {
  const uint64_t before = Http2Counters::process().goaways_sent[NGHTTP2_PROTOCOL_ERROR].load();
  start();
  sendRaw(rawPreface() + rawFrame(NGHTTP2_DATA, 0, 0, "x"));  // DATA on stream 0
  ASSERT_TRUE(waitRawFrame(NGHTTP2_GOAWAY));
  EXPECT_EQ(Http2Counters::process().goaways_sent[NGHTTP2_PROTOCOL_ERROR].load(), before + 1);
  (void)rawRequest;
}

}  // namespace
}  // namespace gatehouse::http
