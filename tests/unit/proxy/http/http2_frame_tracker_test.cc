// Http2FrameTracker: whether a header block is unfinished, for input fed whole and split at
// every byte (the tracker sees what nghttp2 consumed, in whatever pieces the socket gave).
#include "proxy/http/http2_frame_tracker.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

#include "tests/unit/proxy/http/http2_test_frames.h"

namespace gatehouse::http {
namespace {

using testsupport::rawFrame;
using testsupport::rawPreface;

// inHeaderBlock() after each prefix of `bytes` that ends at one of `marks` (byte offsets).
std::vector<bool> statesAt(const std::string& bytes, const std::vector<size_t>& marks) {
  std::vector<bool> states;
  Http2FrameTracker tracker;
  size_t fed = 0;
  for (size_t mark : marks) {
    tracker.consume(reinterpret_cast<const uint8_t*>(bytes.data()) + fed, mark - fed);
    fed = mark;
    states.push_back(tracker.inHeaderBlock());
  }
  return states;
}

TEST(Http2FrameTracker, FollowsAHeaderBlockAcrossContinuations) {
  const std::string preface = rawPreface();
  const std::string headers = rawFrame(NGHTTP2_HEADERS, 0, 1, "abc");
  const std::string cont = rawFrame(NGHTTP2_CONTINUATION, 0, 1, "de");
  const std::string last = rawFrame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1, "fg");
  const std::string data = rawFrame(NGHTTP2_DATA, 0, 1, "body");
  const std::string all = preface + headers + cont + last + data;
  size_t at = preface.size();
  const std::vector<size_t> marks = {at,
                                     at + 9,  // the HEADERS frame header: the block begins
                                     at += headers.size(),
                                     at += cont.size(),
                                     at + 9 + 1,  // the last frame's payload is not all in yet
                                     at += last.size(),
                                     all.size()};
  EXPECT_EQ(statesAt(all, marks), (std::vector<bool>{false, true, true, true, true, false, false}));
}

TEST(Http2FrameTracker, AHeadersFrameWithEndHeadersIsPendingOnlyUntilItsPayloadIsIn) {
  const std::string headers = rawFrame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, "abcdef");
  const std::string all = rawPreface() + headers;
  const size_t start = all.size() - headers.size();
  EXPECT_EQ(statesAt(all, {start + 5, start + 9, start + 12, all.size()}),
            (std::vector<bool>{false, true, true, false}));
}

TEST(Http2FrameTracker, OtherFramesNeverOpenABlockWhateverTheirFlags) {
  // 0x4 is END_HEADERS on HEADERS but ACK-less PADDED-like bits elsewhere: no block.
  const std::string all = rawPreface() + rawFrame(NGHTTP2_SETTINGS, 0, 0, "") +
                          rawFrame(NGHTTP2_DATA, 0x4, 1, std::string(20, 'x')) +
                          rawFrame(NGHTTP2_PING, 0, 0, std::string(8, 'p'));
  for (size_t split = 0; split <= all.size(); ++split)
    EXPECT_EQ(statesAt(all, {split, all.size()}), (std::vector<bool>{false, false})) << split;
}

TEST(Http2FrameTracker, GivesTheSameAnswerSplitAtEveryByte) {
  const std::string all = rawPreface() + rawFrame(NGHTTP2_HEADERS, 0, 1, "abc") +
                          rawFrame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1, "") +
                          rawFrame(NGHTTP2_HEADERS, 0, 3, "x");
  for (size_t split = 0; split <= all.size(); ++split) {
    std::vector<size_t> marks;
    for (size_t i = 0; i <= all.size(); ++i)
      marks.push_back(i);
    const std::vector<bool> byte_by_byte = statesAt(all, marks);
    EXPECT_EQ(statesAt(all, {split, all.size()}).back(), byte_by_byte.back());
    EXPECT_EQ(statesAt(all, {split}).back(), byte_by_byte[split]) << split;
  }
}

TEST(Http2FrameTracker, StopsAfterEachFrameHeaderAndEachFrameEnd) {
  const std::string data = rawFrame(NGHTTP2_DATA, 0, 1, "abc");
  const std::string rst = rawFrame(NGHTTP2_RST_STREAM, 0, 1, std::string(4, '\0'));
  const std::string all = rawPreface() + data + rst;
  Http2FrameTracker tracker;
  const auto* p = reinterpret_cast<const uint8_t*>(all.data());
  size_t at = 0;
  std::vector<std::pair<size_t, bool>> stops;  // (bytes so far, a header was just read)
  while (at < all.size()) {
    at += tracker.advance(p + at, all.size() - at);
    stops.emplace_back(at, tracker.event() == Http2FrameTracker::Event::Header);
  }
  const size_t preface = rawPreface().size() - 9;  // the magic, then SETTINGS: a frame
  EXPECT_EQ(stops, (std::vector<std::pair<size_t, bool>>{{preface + 9, true},    // SETTINGS
                                                         {preface + 18, true},   // DATA header
                                                         {preface + 21, false},  // its end
                                                         {preface + 30, true},   // RST_STREAM
                                                         {all.size(), false}}));
  EXPECT_EQ(tracker.frame().type, NGHTTP2_RST_STREAM);
  EXPECT_EQ(tracker.frame().stream, 1);
}

TEST(Http2FrameTracker, ReadsThePriorityDependencyWhateverTheSplit) {
  const std::string priority =
      rawFrame(NGHTTP2_PRIORITY, 0, 5, std::string("\x80\x00\x00\x05\x10", 5));
  const std::string all = rawPreface() + priority;
  for (size_t split = 0; split <= all.size(); ++split) {
    Http2FrameTracker tracker;
    const auto* p = reinterpret_cast<const uint8_t*>(all.data());
    bool seen = false;
    for (size_t at = 0, end = split; at < all.size(); end = all.size()) {
      at += tracker.advance(p + at, end - at);
      if (tracker.event() == Http2FrameTracker::Event::PriorityPayload) {
        seen = true;
        EXPECT_EQ(tracker.frame().dependency, 5) << split;  // the exclusive bit is not part of it
      }
    }
    EXPECT_TRUE(seen) << split;
  }
}

}  // namespace
}  // namespace gatehouse::http
