#include "cache/object_builder.h"

#include <gtest/gtest.h>

#include "cache/targeted_cache_control.h"

namespace gatehouse::cache {
namespace {

TEST(ObjectBuilder, TakesTagsFromBothFields) {
  http::HeaderMap h;
  h.add("Surrogate-Key", "a  b");
  h.add("Cache-Tag", "c, d");
  h.add("X-Keep", "1");
  EXPECT_EQ(takeTags(h), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(h.size(), 1u);
}

TEST(ObjectBuilder, StoresWhatClientsMaySeeAndTheValidators) {
  http::ResponseHead head;
  head.headers.add("Content-Type", "text/html");
  head.headers.add("Set-Cookie", "a=b");
  head.headers.add("Age", "5");
  head.headers.add("X-Request-Id", "filler");
  head.headers.add("ETag", "\"v1\"");
  head.headers.add("Vary", "Accept-Language");
  head.headers.add("Cache-Control", "max-age=60");
  http::HeaderMap request;
  request.add("Accept-Language", "en");
  auto o = buildObject("k", request, head, parseCacheControl(head.headers), {}, {3600, 7200},
                       {100, 101});
  EXPECT_EQ(o->etag, "\"v1\"");
  EXPECT_EQ(o->freshness_lifetime, 60);
  EXPECT_EQ(o->corrected_initial_age, 6);  // Age 5 + 1 s in transit
  EXPECT_EQ(o->swr_window, 3600u);
  EXPECT_EQ(o->sie_window, 7200u);
  EXPECT_EQ(o->vary_fields, (std::vector<std::string>{"accept-language"}));
  EXPECT_FALSE(o->fields.has("set-cookie"));
  EXPECT_FALSE(o->fields.has("age"));
  EXPECT_FALSE(o->fields.has("x-request-id"));
  EXPECT_TRUE(o->fields.has("content-type"));
}

TEST(ObjectBuilder, NoGraceForWhatMustBeRevalidated) {
  http::ResponseHead head;
  head.headers.add("Cache-Control", "max-age=60, must-revalidate");
  auto o =
      buildObject("k", {}, head, parseCacheControl(head.headers), {}, {3600, 3600}, {100, 100});
  EXPECT_EQ(o->swr_window, 0u);
  EXPECT_EQ(o->sie_window, 0u);
}

TEST(ObjectBuilder, ANotModifiedRefreshesFieldsAndAgeAndSharesTheBody) {
  http::ResponseHead head;
  head.headers.add("Content-Type", "text/plain");
  head.headers.add("ETag", "\"v1\"");
  head.headers.add("Cache-Control", "max-age=1");
  // A large body is the fill's buffer, shared by reference; a small one is copied.
  auto large = std::make_shared<const Body>(CachedObject::kPackedBodyMax + 1, 'b');
  const std::string_view large_view(large->data(), large->size());
  const auto draft =
      buildObject("k", {}, head, parseCacheControl(head.headers), {}, {}, {100, 100});
  auto stale = CachedObject::make(*draft, large_view, large);
  auto small = CachedObject::make(*draft, "body");
  http::ResponseHead not_modified;
  not_modified.status = 304;
  not_modified.headers.add("Cache-Control", "max-age=600");
  not_modified.headers.add("Content-Type", "text/evil");  // must not replace ours? it may: §4.3.4
  auto fresh = refreshObject(*stale, not_modified, {}, {}, {500, 500});
  EXPECT_EQ(fresh->body().data(), large->data());
  EXPECT_EQ(refreshObject(*small, not_modified, {}, {}, {500, 500})->body(), "body");
  EXPECT_EQ(fresh->freshness_lifetime, 600);
  EXPECT_TRUE(fresh->isFresh(550));
  EXPECT_EQ(http::findFieldLine(fresh->fields(), "cache-control"), "max-age=600");
  EXPECT_EQ(fresh->etag(), "\"v1\"");
}

// RFC 9111 §3.2 and §4.3.4: each field of a 304 replaces the stored field of that name, except
// those the stored body depends on and those that belong to one response.
TEST(ObjectBuilder, A304UpdatesStoredFieldsTable) {
  struct Row {
    const char* section;
    const char* name;
    const char* stored;
    const char* sent;
    const char* expected;
  };
  const Row rows[] = {
      {"3.2", "X-Test-Header", "a", "b", "b"},
      {"3.2", "Content-Foo", "a", "b", "b"},
      {"3.2", "Cache-Control", "max-age=1", "max-age=3600", "max-age=3600"},
      {"3.2", "Content-Type", "text/plain", "text/plain;charset=utf-8", "text/plain;charset=utf-8"},
      {"3.2", "Content-Location", "/foo", "/bar", "/bar"},
      {"3.2", "Expires", "Fri, 01 Jan 2038 01:01:01 GMT", "Mon, 11 Jan 2038 11:11:11 GMT",
       "Mon, 11 Jan 2038 11:11:11 GMT"},
      {"3.2", "Link", "</a>; rel=preload", "</b>; rel=preload", "</b>; rel=preload"},
      {"3.2 kept: what the stored body depends on", "Content-Encoding", "gzip", "br", "gzip"},
      {"3.2 kept: processed by the recipient", "Content-Range", "bytes 0-1/2", "bytes 0-0/2",
       "bytes 0-1/2"},
      {"3.2 kept: not in the 304", "X-Only-Stored", "a", nullptr, "a"},
      {"3.2 added: only in the 304", "X-Only-Sent", nullptr, "b", "b"},
      {"3.2 per response: never stored", "Set-Cookie", nullptr, "a=b", ""},
      {"5.1 per response: a hit writes its own", "Age", nullptr, "5", ""},
  };
  for (const Row& row : rows) {
    http::ResponseHead head;
    head.headers.add("ETag", "\"v1\"");
    if (row.stored) head.headers.add(row.name, row.stored);
    auto stale = CachedObject::make(
        *buildObject("k", {}, head, parseCacheControl(head.headers), {}, {}, {100, 100}));
    http::ResponseHead not_modified;
    not_modified.status = 304;
    if (row.sent) not_modified.headers.add(row.name, row.sent);
    auto fresh = refreshObject(*stale, not_modified, {}, {}, {200, 200});
    EXPECT_EQ(http::findFieldLine(fresh->fields(), row.name), row.expected)
        << row.section << ": " << row.name;
  }
}

// RFC 9111 §4.3.5: a response to HEAD updates the stored GET response it would have selected
// when its validators and length match, and makes it stale when one differs.
TEST(ObjectBuilder, AHeadResponseFreshensOrInvalidatesTable) {
  struct Row {
    const char* section;
    int status;
    const char* etag;           // null: not in the HEAD response
    const char* last_modified;  // null: not in the HEAD response
    std::optional<uint64_t> length;
    HeadFreshening expected;
  };
  const char* kDate = "Mon, 01 Jan 2024 00:00:00 GMT";
  const Row rows[] = {
      {"4.3.5 all match: update", 200, "\"v1\"", kDate, 4, HeadFreshening::Update},
      {"4.3.5 no validator, same length: update", 200, nullptr, nullptr, 4, HeadFreshening::Update},
      {"4.3.5 no Content-Length: not compared", 200, "\"v1\"", nullptr, std::nullopt,
       HeadFreshening::Update},
      {"4.3.5 ETag differs: stale", 200, "\"v2\"", kDate, 4, HeadFreshening::Invalidate},
      {"4.3.5 Last-Modified differs: stale", 200, "\"v1\"", "Tue, 02 Jan 2024 00:00:00 GMT", 4,
       HeadFreshening::Invalidate},
      {"4.3.5 Content-Length differs: stale", 200, "\"v1\"", kDate, 5, HeadFreshening::Invalidate},
      {"4.3.5 weak vs strong is a different validator: stale", 200, "W/\"v1\"", kDate, 4,
       HeadFreshening::Invalidate},
      {"4.3.5 only a 200 speaks for the GET response", 404, "\"v1\"", kDate, 4,
       HeadFreshening::Ignore},
      {"4.3.5 a 304 to HEAD is not a freshening", 304, "\"v1\"", kDate, std::nullopt,
       HeadFreshening::Ignore},
  };
  http::ResponseHead stored_head;
  stored_head.headers.add("ETag", "\"v1\"");
  stored_head.headers.add("Last-Modified", kDate);
  stored_head.headers.add("Cache-Control", "max-age=60");
  auto stored =
      CachedObject::make(*buildObject("k", {}, stored_head, parseCacheControl(stored_head.headers),
                                      {}, {}, {100, 100}),
                         "body");
  for (const Row& row : rows) {
    http::ResponseHead head;
    head.status = row.status;
    if (row.etag) head.headers.add("ETag", row.etag);
    if (row.last_modified) head.headers.add("Last-Modified", row.last_modified);
    head.content_length = row.length;
    EXPECT_EQ(judgeHeadResponse(*stored, head), row.expected) << row.section;
  }
}

// RFC 9213: a targeted field hidden from clients still judges a 304 that carries none.
TEST(ObjectBuilder, AHiddenTargetedFieldIsKeptAsideForThe304) {
  const std::string targets[] = {"CDN-Cache-Control"};
  FreshnessPolicy policy;
  policy.targeted_fields = targets;
  http::ResponseHead head;
  head.headers.add("CDN-Cache-Control", "max-age=30");
  head.headers.add("Cache-Control", "max-age=1");
  head.headers.add("ETag", "\"v1\"");
  const CacheControl cc = responseCacheControl(head.headers, targets);
  auto stale = CachedObject::make(*buildObject("k", {}, head, cc, policy, {}, {100, 100}));
  EXPECT_EQ(stale->freshness_lifetime, 30);
  EXPECT_FALSE(http::FieldLines::fromWire(stale->fields()).has("cdn-cache-control"));
  EXPECT_EQ(stale->targeted(), "max-age=30");
  http::ResponseHead not_modified;
  not_modified.status = 304;
  not_modified.headers.add("Cache-Control", "max-age=3600");
  EXPECT_EQ(refreshObject(*stale, not_modified, policy, {}, {200, 200})->freshness_lifetime, 30);
  not_modified.headers.add("CDN-Cache-Control", "max-age=90");
  auto renewed = refreshObject(*stale, not_modified, policy, {}, {200, 200});
  EXPECT_EQ(renewed->freshness_lifetime, 90);
  EXPECT_EQ(renewed->targeted(), "max-age=90");
  EXPECT_FALSE(http::FieldLines::fromWire(renewed->fields()).has("cdn-cache-control"));
}

}  // namespace
}  // namespace gatehouse::cache
