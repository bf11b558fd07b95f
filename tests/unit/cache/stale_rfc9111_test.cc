// When a stale response may be served (RFC 9111 §4.2.4, RFC 5861), one row per rule with its
// section (issue 15, items 2 and 5). The windows are measured from the moment the response
// became stale, and the revalidation directives forbid serving stale whatever else permits it.
#include <gtest/gtest.h>

#include "cache/object_builder.h"

namespace gatehouse::cache {
namespace {

constexpr int64_t kArrived = 1700000000;

std::unique_ptr<ObjectDraft> stored(const char* cache_control, StalePermission configured,
                                    const char* age = nullptr) {
  http::ResponseHead head;
  head.headers.add("Cache-Control", cache_control);
  head.headers.add("ETag", "\"v1\"");
  if (age) head.headers.add("Age", age);
  return buildObject("k", {}, head, parseCacheControl(head.headers), {}, configured,
                     {kArrived, kArrived});
}

TEST(StaleRfc9111, WindowTable) {
  struct Row {
    const char* section;
    const char* rule;
    const char* cache_control;
    StalePermission configured;
    int64_t seconds_after_arrival;
    bool fresh;
    bool while_revalidating;
    bool on_error;
    const char* age = nullptr;
  };
  const StalePermission kNone{0, 0};
  const StalePermission kDefault{0, 3600};  // grace 0, stale_if_error 1h
  const StalePermission kGrace{600, 3600};  // an operator's explicit grace: 10m
  const Row rows[] = {
      {"4.2", "fresh", "max-age=60", kDefault, 59, true, false, false},
      {"4.2.4", "stale: never served while revalidating without permission", "max-age=60", kDefault,
       61, false, false, true},
      {"4.2.4", "nothing configured: not even on error", "max-age=60", kNone, 61, false, false,
       false},
      {"RFC 5861 §3", "the origin's stale-while-revalidate",
       "max-age=60, stale-while-revalidate=30", kNone, 89, false, true, false},
      {"RFC 5861 §3", "swr window measured from staleness, not arrival",
       "max-age=60, stale-while-revalidate=30", kNone, 90, false, false, false},
      {"RFC 5861 §4", "the origin's stale-if-error", "max-age=60, stale-if-error=120", kNone, 179,
       false, false, true},
      {"RFC 5861 §4", "sie window measured from staleness", "max-age=60, stale-if-error=120", kNone,
       180, false, false, false},
      {"4.2.4", "configured grace: out-of-band permission", "max-age=60", kGrace, 659, false, true,
       true},
      {"4.2.4", "configured stale_if_error bounds it", "max-age=60", kDefault, 3659, false, false,
       true},
      {"4.2.4", "past every window", "max-age=60", kGrace, 3661, false, false, false},
      {"5.2.2.2", "must-revalidate forbids both", "max-age=60, must-revalidate, stale-if-error=600",
       kGrace, 61, false, false, false},
      {"5.2.2.8", "proxy-revalidate forbids both",
       "max-age=60, proxy-revalidate, stale-while-revalidate=600", kGrace, 61, false, false, false},
      {"5.2.2.10", "s-maxage forbids both (it implies proxy-revalidate)",
       "s-maxage=60, stale-while-revalidate=600", kGrace, 61, false, false, false},
      {"5.2.2.4", "no-cache forbids both", "no-cache, stale-if-error=600", kGrace, 1, false, false,
       false},
      {"4.2.3", "stale on arrival (Age past max-age): no swr without permission", "max-age=60",
       kDefault, 0, false, false, true, "120"},
      {"4.2.3", "stale on arrival: the swr window counts from when it became stale",
       "max-age=60, stale-while-revalidate=30", kNone, 0, false, false, false, "100"},
  };
  for (const Row& row : rows) {
    auto o = stored(row.cache_control, row.configured, row.age);
    const int64_t now = kArrived + row.seconds_after_arrival;
    EXPECT_EQ(o->isFresh(now), row.fresh) << row.section << ": " << row.rule;
    EXPECT_EQ(o->mayServeWhileRevalidating(now), row.while_revalidating)
        << row.section << ": " << row.rule;
    EXPECT_EQ(o->mayServeOnError(now), row.on_error) << row.section << ": " << row.rule;
  }
}

}  // namespace
}  // namespace gatehouse::cache
