// Http2StreamLedger: how recent client streams ended, ids never used below the highest, and a
// bounded memory that forgets the oldest ended streams first.
#include "proxy/http/http2_stream_ledger.h"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

using State = Http2StreamLedger::State;

TEST(Http2StreamLedger, RemembersHowEachStreamEnded) {
  Http2StreamLedger ledger(16);
  for (int32_t id : {1, 3, 5, 9})
    ledger.opened(id);
  ledger.ended(1, State::ResetByPeer);
  ledger.ended(1, State::Completed);  // the close after the reset: the reset stays
  ledger.ended(3, State::ResetByUs);
  ledger.ended(5, State::Completed);
  ledger.ended(11, State::ResetByUs);  // refused before it opened
  EXPECT_EQ(ledger.lookup(1), State::ResetByPeer);
  EXPECT_EQ(ledger.lookup(3), State::ResetByUs);
  EXPECT_EQ(ledger.lookup(5), State::Completed);
  EXPECT_EQ(ledger.lookup(7), State::NeverOpened);  // skipped by the client: implicitly closed
  EXPECT_EQ(ledger.lookup(9), State::Open);
  EXPECT_EQ(ledger.lookup(11), State::ResetByUs);
  EXPECT_EQ(ledger.lookup(13), State::Unknown);  // not used yet
}

TEST(Http2StreamLedger, ForgetsTheOldestEndedStreamsBeyondItsCapacity) {
  Http2StreamLedger ledger(4);
  ledger.opened(1);  // stays open: never forgotten while open
  for (int32_t id = 3; id <= 13; id += 2) {
    ledger.opened(id);
    ledger.ended(id, State::Completed);
  }
  EXPECT_EQ(ledger.lookup(13), State::Completed);
  EXPECT_EQ(ledger.lookup(11), State::Completed);
  EXPECT_EQ(ledger.lookup(3), State::Unknown) << "forgotten: no longer judged";
  EXPECT_EQ(ledger.lookup(4), State::Unknown);
}

TEST(Http2StreamLedger, StaysBoundedAndKeepsTheRecentOnesOverManyStreams) {
  // Forgetting goes an eighth of the capacity at a time: whatever the batch, the open stream
  // stays, the most recent capacity - capacity / 8 - 1 (the open one) ended streams are judged,
  // and memory stays within the capacity.
  Http2StreamLedger ledger(64);
  ledger.opened(1);
  for (int32_t id = 3; id <= 2001; id += 2) {
    ledger.opened(id);
    ledger.ended(id, State::Completed);
    ASSERT_LE(ledger.remembered(), 64u) << "after stream " << id;
  }
  for (int32_t id = 2001; id > 2001 - 2 * 55; id -= 2)
    EXPECT_EQ(ledger.lookup(id), State::Completed) << id;
  EXPECT_EQ(ledger.lookup(1001), State::Unknown);
  const size_t remembered = ledger.remembered();
  ledger.ended(1, State::ResetByPeer);  // the open one was kept: no new entry for its end
  EXPECT_EQ(ledger.remembered(), remembered);
}

}  // namespace
}  // namespace gatehouse::http
