#include "cache/object_builder.h"

#include <gtest/gtest.h>

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
  auto o = buildObject("k", request, head, parseCacheControl(head.headers), {}, 3600, {100, 101});
  EXPECT_EQ(o->etag, "\"v1\"");
  EXPECT_EQ(o->freshness_lifetime, 60);
  EXPECT_EQ(o->corrected_initial_age, 6);  // Age 5 + 1 s in transit
  EXPECT_EQ(o->stale_window, 3600);
  EXPECT_EQ(o->vary_fields, (std::vector<std::string>{"accept-language"}));
  EXPECT_FALSE(o->fields.has("set-cookie"));
  EXPECT_FALSE(o->fields.has("age"));
  EXPECT_FALSE(o->fields.has("x-request-id"));
  EXPECT_TRUE(o->fields.has("content-type"));
}

TEST(ObjectBuilder, NoGraceForWhatMustBeRevalidated) {
  http::ResponseHead head;
  head.headers.add("Cache-Control", "max-age=60, must-revalidate");
  auto o = buildObject("k", {}, head, parseCacheControl(head.headers), {}, 3600, {100, 100});
  EXPECT_EQ(o->stale_window, 0);
}

TEST(ObjectBuilder, ANotModifiedRefreshesFieldsAndAgeAndSharesTheBody) {
  http::ResponseHead head;
  head.headers.add("Content-Type", "text/plain");
  head.headers.add("ETag", "\"v1\"");
  head.headers.add("Cache-Control", "max-age=1");
  auto stale = buildObject("k", {}, head, parseCacheControl(head.headers), {}, 0, {100, 100});
  stale->body = std::make_shared<const Body>(Body{'b', 'o', 'd', 'y'});
  http::ResponseHead not_modified;
  not_modified.status = 304;
  not_modified.headers.add("Cache-Control", "max-age=600");
  not_modified.headers.add("Content-Type", "text/evil");  // must not replace ours? it may: §4.3.4
  auto fresh = refreshObject(*stale, not_modified, {}, 0, {500, 500});
  EXPECT_EQ(fresh->body.get(), stale->body.get());
  EXPECT_EQ(fresh->freshness_lifetime, 600);
  EXPECT_TRUE(fresh->isFresh(550));
  EXPECT_EQ(fresh->fields.get("cache-control"), "max-age=600");
  EXPECT_EQ(fresh->etag, "\"v1\"");
}

}  // namespace
}  // namespace gatehouse::cache
