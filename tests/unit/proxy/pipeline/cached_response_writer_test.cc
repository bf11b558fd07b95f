// serveCachedObject over HTTP/2: a stored object's fields reach the header block through the plan
// made when it was stored (CachedObject::http2Fields), and must be exactly the fields walking the
// hit's lines gives, whatever the object holds.
#include "proxy/pipeline/cached_response_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cache/object_builder.h"
#include "proxy/http/http2_response_fields.h"
#include "tests/support/fake_downstream.h"
#include "tests/support/http2_header_block.h"

namespace gatehouse::pipeline {
namespace {

using gatehouse::testing::FakeExchange;
using gatehouse::testing::Nv;

constexpr int64_t kNow = 1000;

std::vector<Nv> block(const http::ResponseHead& head) {
  return gatehouse::testing::headerBlock(
      http::Http2ResponseFields(head.status, head, head.content_length));
}

// The header block of a head through its plan, checked against the one walking its lines gives.
std::vector<Nv> checkedBlock(const http::ResponseHead& head) {
  http::ResponseHead unplanned = head;
  unplanned.http2_fields = {};
  std::vector<Nv> through_plan = block(head);
  EXPECT_EQ(through_plan, block(unplanned));
  return through_plan;
}

std::vector<std::string> names(const std::vector<Nv>& nvs) {
  std::vector<std::string> out;
  for (const Nv& nv : nvs)
    out.push_back(std::get<0>(nv));
  return out;
}

// A response with the fields a cache meets: known and unknown names in any case, an empty
// value, colons and commas in values, a long one, and the fields that are never stored.
std::shared_ptr<const cache::CachedObject> storedObject(std::string_view body) {
  http::ResponseHead response;
  response.headers.add("Server", "origin/1.0");
  response.headers.add("Date", "Sun, 06 Dec 2026 12:00:00 GMT");
  response.headers.add("content-type", "text/html; charset=utf-8");
  response.headers.add("Set-Cookie", "session=1; Path=/");  // never stored
  response.headers.add("X-Request-Id", "origin-id");        // per response: never stored
  response.headers.add("Age", "3");                         // per response: never stored
  response.headers.add("ETag", "\"v1\"");
  response.headers.add("Cache-Control", "max-age=3600, public");
  response.headers.add("X-Empty", "");
  response.headers.add("LINK", "</a.css>; rel=preload; as=style, </b.js>; rel=preload");
  response.headers.add("X-Long", std::string(3000, 'x'));
  response.headers.add("Vary", "Accept-Encoding");
  response.headers.add("Strict-Transport-Security", "max-age=60");
  auto draft = cache::buildObject("k", {}, response, cache::parseCacheControl(response.headers), {},
                                  {}, {kNow, kNow});
  return cache::CachedObject::make(*draft, body);
}

// A GET of the object, with one request field when `name` is given.
http::RequestHead get(std::string_view name = {}, std::string_view value = {}) {
  http::RequestHead request;
  request.method = "GET";
  request.target = "/page";
  request.authority = "example.com";
  if (!name.empty()) request.headers.add(name, value);
  return request;
}

TEST(CachedResponseWriter, AnHttp2HitsFieldsThroughThePlanAreTheWalkedOnes) {
  const auto object = storedObject("hello");
  EXPECT_EQ(object->http2Fields().size(), 10u) << "one entry per stored field";
  FakeExchange fx(get());
  serveCachedObject(fx.exchange, object, kNow, cache::CacheStatus{});
  ASSERT_TRUE(fx.downstream.head);
  ASSERT_EQ(fx.downstream.head->http2_fields.first.size(), 10u);
  ASSERT_EQ(fx.downstream.head->http2_fields.then.size(), 4u) << "the hit's own lines";
  const std::vector<Nv> nvs = checkedBlock(*fx.downstream.head);
  // Stored order, names lowercase, then the hit's own fields and the length.
  EXPECT_EQ(names(nvs), (std::vector<std::string>{
                            ":status", "server", "date", "content-type", "etag", "cache-control",
                            "X-Empty", "link", "X-Long", "vary", "strict-transport-security", "age",
                            "cache-status", "x-request-id", "accept-ranges", "content-length"}));
  EXPECT_EQ(std::get<1>(nvs[13]), "test-id");
  EXPECT_TRUE(std::get<2>(nvs[13]) & NGHTTP2_NV_FLAG_NO_INDEX);
  EXPECT_EQ(std::get<1>(nvs[8]), std::string(3000, 'x'));
  EXPECT_EQ(std::get<1>(nvs[15]), "5");
}

TEST(CachedResponseWriter, ARangeAndANotModifiedKeepTheirFields) {
  const auto object = storedObject("hello world");
  {
    FakeExchange fx(get("Range", "bytes=0-4"));
    serveCachedObject(fx.exchange, object, kNow, cache::CacheStatus{});
    ASSERT_EQ(fx.downstream.status(), 206);
    const std::vector<Nv> nvs = checkedBlock(*fx.downstream.head);
    EXPECT_EQ(std::get<0>(nvs[nvs.size() - 2]), "Content-Range");
  }
  {
    // The 304's lines are a filtered copy: no plan, walked.
    FakeExchange fx(get("If-None-Match", "\"v1\""));
    serveCachedObject(fx.exchange, object, kNow, cache::CacheStatus{});
    ASSERT_EQ(fx.downstream.status(), 304);
    EXPECT_TRUE(fx.downstream.head->http2_fields.empty());
    const std::vector<std::string> sent = names(checkedBlock(*fx.downstream.head));
    EXPECT_EQ(std::count(sent.begin(), sent.end(), "content-type"), 0);
    EXPECT_EQ(std::count(sent.begin(), sent.end(), "etag"), 1);
  }
}

TEST(CachedResponseWriter, AFollowedHeadAndARefreshedObjectComeWithTheirPlan) {
  const auto object = storedObject("hello");
  {
    FakeExchange fx(get());
    respondFollowedHead(fx.exchange, *object, std::nullopt, kNow, cache::CacheStatus{});
    EXPECT_EQ(fx.downstream.head->http2_fields.first.size(), 10u);
    EXPECT_EQ(fx.downstream.head->http2_fields.then.size(), 3u);
    checkedBlock(*fx.downstream.head);
  }
  // A 304 from the origin changes the stored fields: the refreshed object's plan is its own.
  http::ResponseHead not_modified;
  not_modified.status = 304;
  not_modified.headers.add("Date", "Sun, 06 Dec 2026 12:10:00 GMT");
  not_modified.headers.add("X-New", "fresh");
  const auto refreshed = cache::refreshObject(*object, not_modified, {}, {}, {kNow, kNow});
  EXPECT_EQ(refreshed->http2Fields().size(), 11u);
  FakeExchange fx(get());
  serveCachedObject(fx.exchange, refreshed, kNow, cache::CacheStatus{});
  const std::vector<std::string> sent = names(checkedBlock(*fx.downstream.head));
  EXPECT_EQ(std::count(sent.begin(), sent.end(), "X-New"), 1);
  EXPECT_EQ(std::count(sent.begin(), sent.end(), "date"), 1);
}

}  // namespace
}  // namespace gatehouse::pipeline
