#include "admin-api/session_store.h"

#include <gtest/gtest.h>

namespace gatehouse::admin {
namespace {

using std::chrono::hours;

TEST(SessionStore, ASessionLastsItsTtlAndEndsAtLogout) {
  SessionStore store;
  const auto t0 = SessionStore::Clock::time_point{} + hours(1);
  const std::string id = store.create(t0, hours(12));
  EXPECT_EQ(id.size(), 64u);
  const std::string cookie = "a=b; gatehouse_session=" + id + "; c=d";
  EXPECT_TRUE(store.valid(cookie, t0 + hours(11)));
  EXPECT_FALSE(store.valid(cookie, t0 + hours(12)));
  const std::string second = store.create(t0, hours(12));
  EXPECT_NE(second, id);
  store.end("gatehouse_session=" + second);
  EXPECT_FALSE(store.valid("gatehouse_session=" + second, t0));
}

TEST(SessionStore, RefusesUnknownAndMalformedCookies) {
  SessionStore store;
  const auto t0 = SessionStore::Clock::time_point{};
  store.create(t0, hours(1));
  EXPECT_FALSE(store.valid("", t0));
  EXPECT_FALSE(store.valid("gatehouse_session=", t0));
  EXPECT_FALSE(store.valid("gatehouse_session=" + std::string(64, '0'), t0));
  EXPECT_FALSE(store.valid("other_session=x", t0));
}

TEST(SessionStore, KeepsAtMostMaxSessions) {
  SessionStore store;
  const auto t0 = SessionStore::Clock::time_point{};
  for (size_t i = 0; i < SessionStore::kMaxSessions + 10; ++i)
    store.create(t0 + std::chrono::seconds(i), hours(1));
  EXPECT_EQ(store.size(), SessionStore::kMaxSessions);
}

}  // namespace
}  // namespace gatehouse::admin
