// FillStream: the body of a fill shared with coalesced misses as it arrives (issue 15 item 7).
#include "cache/fill_stream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace gatehouse::cache {
namespace {

std::string_view bytesOf(const FillStream::View& v) {
  return std::string_view(v.data, v.length);
}

void write(FillStream& s, std::string_view bytes) {
  std::memcpy(s.prepare(bytes.size()), bytes.data(), bytes.size());
  s.commit(bytes.size());
}

TEST(FillStream, ReadersSeeWhatIsCommittedAndEachCommitIsTold) {
  FillStream s(CachedObject::make(ObjectDraft()), 11);
  int told = 0;
  s.subscribe([&] { ++told; });
  EXPECT_EQ(s.view().length, 0u);
  write(s, "hello ");
  EXPECT_EQ(bytesOf(s.view()), "hello ");
  EXPECT_EQ(s.view().state, FillStream::State::Open);
  write(s, "world");
  s.finish(FillStream::State::Complete);
  EXPECT_EQ(told, 3);
  EXPECT_EQ(bytesOf(s.view()), "hello world");
  EXPECT_EQ(s.view().state, FillStream::State::Complete);
}

TEST(FillStream, AKnownLengthIsReservedOnceAndTheStoredBodyIsTheSameBuffer) {
  FillStream s(CachedObject::make(ObjectDraft()), 8);
  const char* first = s.view().data;
  write(s, "abcd");
  write(s, "efgh");
  EXPECT_EQ(s.view().data, first);  // never moved: readers' references stay valid
  s.finish(FillStream::State::Complete);
  std::shared_ptr<const Body> body = s.completedBody();
  EXPECT_EQ(body->data(), first);  // stored without a copy
  EXPECT_EQ(body->capacity(), 8u);
}

TEST(FillStream, AnUnknownLengthGrowsWhileOldViewsStayValid) {
  FillStream s(CachedObject::make(ObjectDraft()), std::nullopt);
  write(s, "x");
  FillStream::View old = s.view();
  std::string big(100 * 1024, 'y');
  write(s, big);
  EXPECT_EQ(bytesOf(old), "x");  // the old buffer lives on through its owner
  EXPECT_EQ(s.view().length, big.size() + 1);
  s.finish(FillStream::State::Complete);
  std::shared_ptr<const Body> body = s.completedBody();
  EXPECT_EQ(body->size(), big.size() + 1);
  EXPECT_EQ(body->capacity(), body->size());  // exactly its size, as the store charges
}

TEST(FillStream, AFailedStreamSaysSoAndALateSubscriberIsToldAtOnce) {
  FillStream s(CachedObject::make(ObjectDraft()), 100);
  write(s, "part");
  s.finish(FillStream::State::Failed);
  s.finish(FillStream::State::Complete);  // the first end stands
  EXPECT_EQ(s.view().state, FillStream::State::Failed);
  EXPECT_EQ(s.view().length, 4u);
  bool told = false;
  s.subscribe([&] { told = true; });
  EXPECT_TRUE(told);
}

TEST(FillStream, AnUnsubscribedReaderIsNotTold) {
  FillStream s(CachedObject::make(ObjectDraft()), 4);
  int told = 0;
  const uint64_t id = s.subscribe([&] { ++told; });
  s.unsubscribe(id);
  write(s, "abcd");
  EXPECT_EQ(told, 0);
}

// Readers on other threads while the writer grows the buffer (run under TSan/ASan in CI).
TEST(FillStream, ConcurrentReadersSeeAPrefixOfTheBody) {
  FillStream s(CachedObject::make(ObjectDraft()), std::nullopt);
  std::string expected;
  for (int i = 0; i < 2000; ++i)
    expected += static_cast<char>('a' + i % 26);
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        FillStream::View v = s.view();
        ASSERT_EQ(bytesOf(v), std::string_view(expected).substr(0, v.length));
        if (v.state != FillStream::State::Open) break;
      }
    });
  }
  for (char c : expected)
    write(s, std::string_view(&c, 1));
  s.finish(FillStream::State::Complete);
  for (std::thread& t : readers)
    t.join();
  EXPECT_EQ(bytesOf(s.view()), expected);
}

}  // namespace
}  // namespace gatehouse::cache
