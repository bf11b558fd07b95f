// The records the instances share through Redis: encoding, versions, and last writer wins,
// without Redis (admin-api/cluster/cluster_record.h).
#include "admin-api/cluster/cluster_record.h"

#include <gtest/gtest.h>

namespace gatehouse::cluster {
namespace {

TEST(ClusterRecord, RoundTrips) {
  Record r{"server/app/app1", 1733456789123, "web1", {{"state", "drain"}}};
  auto back = decode("server/app/app1", encode(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key, "server/app/app1");
  EXPECT_EQ(back->version, 1733456789123u);
  EXPECT_EQ(back->by, "web1");
  EXPECT_EQ(back->data, r.data);
}

TEST(ClusterRecord, ReadsVersionsWrittenAsDoubles) {
  // Lua's cjson writes large numbers in exponent form.
  auto r = decode("read_only", R"({"v": 1.733456789123e+12, "by": "a", "d": {}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version, 1733456789123u);
}

TEST(ClusterRecord, RefusesWhatIsNotARecord) {
  for (const char* text :
       {"", "[]", "{}", R"({"v": "1", "by": "a", "d": {}})", R"({"v": 1, "by": 2, "d": {}})",
        R"({"v": 1, "by": "a"})", R"({"v": -1, "by": "a", "d": {}})", "{\"v\": 1, \"by\""})
    EXPECT_FALSE(decode("k", text)) << text;
}

struct SupersedeCase {
  uint64_t v1;
  const char* by1;
  uint64_t v2;
  const char* by2;
  bool first_wins;
};

// Last writer wins: the higher version; on a tie, the higher instance name, so that every
// instance picks the same winner.
const SupersedeCase kSupersede[] = {
    {2, "a", 1, "b", true},  {1, "b", 2, "a", false}, {5, "b", 5, "a", true},
    {5, "a", 5, "b", false}, {5, "a", 5, "a", false},  // the same record does not replace itself
};

TEST(ClusterRecord, LastWriterWins) {
  for (const SupersedeCase& c : kSupersede) {
    Record a{"k", c.v1, c.by1, nullptr}, b{"k", c.v2, c.by2, nullptr};
    EXPECT_EQ(a.supersedes(b), c.first_wins) << c.v1 << c.by1 << " vs " << c.v2 << c.by2;
  }
}

TEST(StateBook, AppliesNewerKeepsOlderAndKnowsItsOwnEcho) {
  StateBook book;
  Record first{"read_only", 100, "b", {{"enabled", true}}};
  EXPECT_EQ(book.merge(first), Merge::Apply);
  EXPECT_EQ(book.merge(first), Merge::Same);  // our own publish coming back
  EXPECT_EQ(book.merge(Record{"read_only", 99, "c", nullptr}), Merge::Stale);
  EXPECT_EQ(book.merge(Record{"read_only", 100, "a", nullptr}), Merge::Stale);  // tie, lower name
  EXPECT_EQ(book.merge(Record{"read_only", 100, "c", {{"enabled", false}}}), Merge::Apply);
  EXPECT_EQ(book.find("read_only")->by, "c");
  EXPECT_EQ(book.merge(Record{"pool/app", 1, "a", nullptr}), Merge::Apply);  // another key
  EXPECT_EQ(book.all().size(), 2u);
}

TEST(StateBook, ALocalChangeBeatsEverythingSeenEvenWithALaggingClock) {
  StateBook book;
  book.merge(Record{"read_only", 5000, "other", nullptr});
  // This instance's clock says 1000, behind the version it applied: its change must still win.
  Record mine = book.local("read_only", "me", {{"enabled", true}}, 1000);
  EXPECT_EQ(mine.version, 5001u);
  EXPECT_TRUE(mine.supersedes(Record{"read_only", 5000, "other", nullptr}));
  EXPECT_EQ(book.find("read_only")->by, "me");
  // With a clock ahead, the clock.
  EXPECT_EQ(book.local("pool/app", "me", nullptr, 9000).version, 9000u);
  // Two changes in the same millisecond still get increasing versions.
  EXPECT_EQ(book.local("pool/app", "me", nullptr, 9000).version, 9001u);
}

TEST(StateBook, ChangesMadeWhileAwayWinOnlyWhenNewer) {
  // A: changed at 200 while Redis was away; Redis holds B's change of 300: B's wins, A applies
  // it. Had A's been later, A's would be written back.
  StateBook a;
  Record offline = a.local("read_only", "A", {{"enabled", true}}, 200);
  Record remote{"read_only", 300, "B", {{"enabled", false}}};
  EXPECT_EQ(a.merge(remote), Merge::Apply);
  EXPECT_FALSE(offline.supersedes(remote));
  StateBook a2;
  Record later = a2.local("read_only", "A", {{"enabled", true}}, 400);
  EXPECT_EQ(a2.merge(remote), Merge::Stale);
  EXPECT_TRUE(a2.find("read_only")->supersedes(remote));
  EXPECT_EQ(a2.find("read_only")->version, later.version);
}

TEST(ClusterKeys, NameTheStateHashFields) {
  EXPECT_EQ(serverKey("app", "app1"), "server/app/app1");
  EXPECT_EQ(poolKey("app"), "pool/app");
  EXPECT_EQ(kReadOnlyKey, "read_only");
}

TEST(PurgeEvent, RoundTripsEachKind) {
  for (PurgeEvent e : {PurgeEvent{"a", "https://h/x", "", ""}, PurgeEvent{"a", "", "/blog/", ""},
                       PurgeEvent{"a", "", "", "user-42"}}) {
    auto back = decodePurge(encode(e));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->by, e.by);
    EXPECT_EQ(back->url_key, e.url_key);
    EXPECT_EQ(back->prefix, e.prefix);
    EXPECT_EQ(back->tag, e.tag);
  }
  EXPECT_FALSE(decodePurge(R"({"by": "a"})"));                             // nothing named
  EXPECT_FALSE(decodePurge(R"({"by": "a", "prefix": "/", "tag": "t"})"));  // two things
}

TEST(StreamIds, OrderAsRedisDoes) {
  EXPECT_TRUE(streamIdAfter("1700000000001-0", "1700000000000-5"));
  EXPECT_TRUE(streamIdAfter("1700000000000-10", "1700000000000-9"));  // numbers, not text
  EXPECT_FALSE(streamIdAfter("1700000000000-9", "1700000000000-9"));
  EXPECT_TRUE(streamIdAfter("1-0", ""));
  EXPECT_FALSE(streamIdAfter("", "1-0"));
}

}  // namespace
}  // namespace gatehouse::cluster
