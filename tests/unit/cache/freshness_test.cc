// RFC 9111's rules as a table: one row per rule.
#include "cache/freshness.h"

#include <gtest/gtest.h>

#include "proxy/http/http_date.h"

namespace gatehouse::cache {
namespace {

constexpr int64_t kNow = 1700000000;

http::ResponseHead response(int status,
                            std::initializer_list<std::pair<const char*, std::string>> fields) {
  http::ResponseHead head;
  head.status = status;
  for (const auto& [name, value] : fields)
    head.headers.add(name, value);
  return head;
}

http::RequestHead get() {
  http::RequestHead r;
  r.method = "GET";
  r.target = "/";
  return r;
}

NotStorable storable(const http::ResponseHead& head, FreshnessPolicy policy = {},
                     const http::RequestHead& request = get()) {
  return checkStorable(request, parseCacheControl(request.headers), head,
                       parseCacheControl(head.headers), policy);
}

int64_t lifetime(const http::ResponseHead& head, FreshnessPolicy policy = {}) {
  return freshnessLifetime(head, parseCacheControl(head.headers), kNow, policy);
}

const std::string kDate = http::formatHttpDate(kNow);

TEST(Freshness, StorableTable) {
  struct Row {
    const char* rule;
    http::ResponseHead head;
    NotStorable expected;
  };
  const Row rows[] = {
      {"200 with max-age", response(200, {{"Cache-Control", "max-age=60"}}), NotStorable::None},
      {"200 heuristically", response(200, {}), NotStorable::None},
      {"404 heuristically", response(404, {}), NotStorable::None},
      {"500 without freshness", response(500, {}), NotStorable::NoFreshness},
      {"500 with explicit freshness", response(500, {{"Cache-Control", "max-age=5"}}),
       NotStorable::None},
      {"302 with Expires", response(302, {{"Expires", kDate}}), NotStorable::None},
      {"206 never", response(206, {{"Cache-Control", "max-age=60"}}), NotStorable::Status},
      {"no-store", response(200, {{"Cache-Control", "no-store, max-age=60"}}),
       NotStorable::NoStore},
      {"private", response(200, {{"Cache-Control", "private, max-age=60"}}), NotStorable::Private},
      {"Set-Cookie", response(200, {{"Set-Cookie", "a=b"}, {"Cache-Control", "max-age=60"}}),
       NotStorable::SetCookie},
      {"Vary *", response(200, {{"Vary", "Accept, *"}}), NotStorable::VaryStar},
  };
  for (const Row& row : rows)
    EXPECT_EQ(storable(row.head), row.expected) << row.rule;
}

// What the request does to a response that would be stored otherwise (§3, §3.5). A body is
// issue 14's defect 2: the response may reflect what only this client sent.
TEST(Freshness, RequestTable) {
  struct Row {
    const char* rule;
    http::RequestHead request;
    const char* response_cache_control;
    NotStorable expected;
  };
  auto with = [](std::string method, const char* name, const char* value, bool body) {
    http::RequestHead r = get();
    r.method = std::move(method);
    if (*name) r.headers.add(name, value);
    r.has_body = body;
    return r;
  };
  const Row rows[] = {
      {"only GET", with("POST", "", "", false), "max-age=60", NotStorable::Method},
      {"no-store", with("GET", "Cache-Control", "no-store", false), "max-age=60",
       NotStorable::NoStore},
      {"a body", with("GET", "", "", true), "public, max-age=60", NotStorable::RequestBody},
      {"Authorization", with("GET", "Authorization", "Bearer x", false), "max-age=60",
       NotStorable::Authorization},
      {"Authorization, public", with("GET", "Authorization", "Bearer x", false),
       "public, max-age=60", NotStorable::None},
      {"Authorization, s-maxage", with("GET", "Authorization", "Bearer x", false), "s-maxage=60",
       NotStorable::None},
      {"Authorization, must-revalidate", with("GET", "Authorization", "Bearer x", false),
       "must-revalidate, max-age=60", NotStorable::None},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(
        storable(response(200, {{"Cache-Control", row.response_cache_control}}), {}, row.request),
        row.expected)
        << row.rule;
  }
}

TEST(Freshness, SetCookieIsStorableWhenTheRouteStripsIt) {
  FreshnessPolicy policy;
  policy.strip_set_cookie = true;
  EXPECT_EQ(storable(response(200, {{"Set-Cookie", "a=b"}}), policy), NotStorable::None);
}

TEST(Freshness, LifetimeTable) {
  const std::string an_hour_later = http::formatHttpDate(kNow + 3600);
  const std::string ten_days_ago = http::formatHttpDate(kNow - 10 * 86400);
  const std::string a_year_ago = http::formatHttpDate(kNow - 365 * 86400);
  struct Row {
    const char* rule;
    http::ResponseHead head;
    int64_t expected;
  };
  const Row rows[] = {
      {"s-maxage beats max-age", response(200, {{"Cache-Control", "max-age=10, s-maxage=20"}}), 20},
      {"max-age beats Expires",
       response(200,
                {{"Cache-Control", "max-age=10"}, {"Expires", an_hour_later}, {"Date", kDate}}),
       10},
      {"Expires minus Date", response(200, {{"Expires", an_hour_later}, {"Date", kDate}}), 3600},
      {"invalid Expires is stale", response(200, {{"Expires", "0"}, {"Date", kDate}}), 0},
      {"heuristic: 10% of Date - Last-Modified",
       response(200, {{"Date", kDate}, {"Last-Modified", ten_days_ago}}), 86400},
      {"heuristic capped at heuristic_max",
       response(200, {{"Date", kDate}, {"Last-Modified", a_year_ago}}), 86400},
      {"no heuristic for a 302", response(302, {{"Date", kDate}, {"Last-Modified", ten_days_ago}}),
       0},
      {"no-cache means validate every time",
       response(200, {{"Cache-Control", "no-cache, max-age=60"}}), 0},
      {"nothing at all", response(200, {}), 0},
  };
  for (const Row& row : rows)
    EXPECT_EQ(lifetime(row.head), row.expected) << row.rule;
}

constexpr int kDefaultStatuses[] = {200, 203, 204, 300, 301, 308};

TEST(Freshness, ARouteTtlReplacesTheOriginsFreshness) {
  FreshnessPolicy policy;
  policy.forced_ttl = Duration(300000);
  policy.forced_statuses = kDefaultStatuses;
  EXPECT_EQ(lifetime(response(200, {{"Cache-Control", "max-age=5"}}), policy), 300);
}

// Issue 14, defect 4: a forced TTL stored the error page one client's odd request drew, for
// everyone. It applies to the listed statuses only; the others keep the origin's own freshness.
TEST(Freshness, AForcedTtlNeverAppliesToAnErrorStatusUnlessListed) {
  FreshnessPolicy policy;
  policy.forced_ttl = Duration(300000);
  policy.forced_statuses = kDefaultStatuses;
  for (int status : {404, 405, 410, 414, 501}) {
    EXPECT_EQ(lifetime(response(status, {}), policy), 0) << status;
    EXPECT_EQ(lifetime(response(status, {{"Cache-Control", "max-age=5"}}), policy), 5) << status;
  }
  EXPECT_EQ(storable(response(302, {}), policy), NotStorable::NoFreshness);
  EXPECT_EQ(storable(response(301, {}), policy), NotStorable::None);
  const int listed[] = {404};
  policy.forced_statuses = listed;
  EXPECT_EQ(lifetime(response(404, {}), policy), 300);
  EXPECT_EQ(lifetime(response(200, {{"Cache-Control", "max-age=5"}}), policy), 5);
}

// Issue 14, defect 6: read-only mode stored `private` responses for everyone.
TEST(Freshness, ReadOnlyModeKeepsNoCacheAtLeastMinTtlButNeverStoresPrivate) {
  FreshnessPolicy policy;
  policy.min_ttl = Duration(600000);
  policy.forced_statuses = kDefaultStatuses;
  EXPECT_EQ(storable(response(200, {{"Cache-Control", "private"}}), policy), NotStorable::Private);
  EXPECT_EQ(storable(response(302, {}), policy), NotStorable::NoFreshness);
  EXPECT_EQ(storable(response(404, {}), policy), NotStorable::None);  // heuristically
  EXPECT_EQ(lifetime(response(404, {}), policy), 0) << "an error page is not kept for min_ttl";
  EXPECT_EQ(storable(response(200, {{"Cache-Control", "no-store"}}), policy), NotStorable::NoStore);
  EXPECT_EQ(lifetime(response(200, {{"Cache-Control", "no-cache"}}), policy), 600);
  EXPECT_EQ(lifetime(response(200, {{"Cache-Control", "max-age=3600"}}), policy), 3600);
}

TEST(Freshness, AgeCalculationFollowsSection423) {
  // Age 10 from upstream, 2 s in transit: corrected_age_value = 12.
  auto head = response(200, {{"Age", "10"}, {"Date", http::formatHttpDate(kNow - 1)}});
  EXPECT_EQ(correctedInitialAge(head, kNow - 2, kNow), 12);
  // A Date far in the past makes the apparent age win.
  auto old = response(200, {{"Date", http::formatHttpDate(kNow - 100)}});
  EXPECT_EQ(correctedInitialAge(old, kNow, kNow), 100);
  // A bad Age is ignored.
  EXPECT_EQ(correctedInitialAge(response(200, {{"Age", "x"}}), kNow, kNow), 0);
}

TEST(Freshness, StaleServingIsRefusedByRevalidationDirectives) {
  EXPECT_TRUE(mayServeStale(CacheControl{}));
  for (const char* v : {"must-revalidate", "proxy-revalidate", "s-maxage=5", "no-cache"}) {
    CacheControl cc;
    parseCacheControlValue(v, cc);
    EXPECT_FALSE(mayServeStale(cc)) << v;
  }
}

}  // namespace
}  // namespace gatehouse::cache
