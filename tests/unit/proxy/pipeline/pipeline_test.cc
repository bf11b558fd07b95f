// Pipeline::dispatch: route -> gate -> handler, in front of a scripted origin. No route is a
// 404; read-only mode blocks a POST with 503 before anything reaches a backend; static prefixes
// come before routes; a route with `cache: true` goes through the cache, any other straight to
// its upstream.

#include "proxy/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include "cache/cache_store.h"
#include "proxy/gate/read_only_state.h"
#include "proxy/pipeline/request_refusals.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_downstream.h"
#include "tests/support/fake_upstream.h"
#include "tests/support/memory_pressure.h"
#include "tests/support/temp_tree.h"

namespace gatehouse::pipeline {
namespace {

using testing::FakeExchange;

http::RequestHead request(std::string method, std::string target,
                          std::string host = "example.com") {
  http::RequestHead head;
  head.method = std::move(method);
  head.target = std::move(target);
  head.authority = std::move(host);
  return head;
}

// Read-only mode is the process's: switched on for one test, and off again whatever happens.
class ReadOnlyForThisTest {
 public:
  ReadOnlyForThisTest() { gate::ReadOnlyState::process().set(true, "a test", std::nullopt); }
  ~ReadOnlyForThisTest() { gate::ReadOnlyState::process().set(false, "", std::nullopt); }
};

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    auto policy = std::make_shared<CachePolicy>();
    policy->store = std::make_shared<cache::CacheStore>(1024 * 1024, 64 * 1024);
    policy->clock = &clock;
    cache = policy;
    pipeline.setUpstreamMaker(origin.maker());
  }

  static std::shared_ptr<const routing::Router> routes() {
    routing::Route cached;
    cached.host = "example.com";
    cached.path_prefix = "/cached/";
    cached.cache = true;
    routing::Route plain;
    plain.host = "example.com";
    plain.path_prefix = "/";
    return std::make_shared<const routing::Router>(std::vector<routing::Route>{cached, plain});
  }

  std::unique_ptr<FakeExchange> dispatch(http::RequestHead head) {
    auto fx = std::make_unique<FakeExchange>(std::move(head));
    pipeline.dispatch(fx->exchange);
    return fx;
  }

  testing::FakeClock clock;
  std::shared_ptr<const CachePolicy> cache;
  testing::FakeOrigin origin;
  net::EventLoop loop;
  upstream::ConnectionPool connections;
  Pipeline pipeline{loop, routes(), nullptr, connections, {}, [](const http::Exchange&) {}};
};

TEST_F(PipelineTest, ARequestNoRouteMatchesIsAnswered404) {
  auto fx = dispatch(request("GET", "/", "elsewhere.org"));
  EXPECT_EQ(fx->downstream.status(), 404);
  EXPECT_EQ(origin.made(), 0u);
}

// Issue 14: "/cached/../page" was routed by its raw prefix and forwarded as it was; a backend
// resolving it served "/page" under another route's rules (and the read-only allow-list's).
TEST_F(PipelineTest, APathWithADotSegmentIsAnswered400BeforeRouting) {
  const uint64_t before = RequestRefusals::process().dot_segment.load();
  for (const char* target : {"/cached/../page", "/cached/%2e%2e/page?x=1", "/a/./b", "/a/..%2Fb"}) {
    auto fx = dispatch(request("GET", target));
    EXPECT_EQ(fx->downstream.status(), 400) << target;
  }
  EXPECT_EQ(origin.made(), 0u);
  EXPECT_EQ(RequestRefusals::process().dot_segment.load(), before + 4);
  auto fine = dispatch(request("GET", "/cached/a..b/c%2Fd?q=../x"));
  EXPECT_EQ(origin.made(), 1u) << "dots in names, encoded slashes and the query are no segments";
}

// Issue 14: new work is refused above limits.memory, before anything else is done for it.
TEST_F(PipelineTest, ARequestAboveTheMemoryLimitIsAnswered503AndNothingElse) {
  const uint64_t before = RequestRefusals::process().memory.load();
  {
    testing::MemoryPressure pressure;
    auto fx = dispatch(request("GET", "/page"));
    EXPECT_EQ(fx->downstream.status(), 503);
    EXPECT_EQ(fx->downstream.field("retry-after"), "1");
    EXPECT_EQ(origin.made(), 0u);
  }
  EXPECT_EQ(RequestRefusals::process().memory.load(), before + 1);
  auto again = dispatch(request("GET", "/page"));
  EXPECT_EQ(origin.made(), 1u) << "served again once memory is back: "
                               << again->downstream.status();
}

TEST_F(PipelineTest, ARoutedRequestGoesToItsRoutesUpstream) {
  auto fx = dispatch(request("GET", "/page"));
  ASSERT_EQ(origin.made(), 1u);
  EXPECT_TRUE(origin.last().started());
  EXPECT_EQ(origin.last().route()->path_prefix, "/");
  origin.last().respond(200, {}, "from the origin");
  EXPECT_EQ(fx->downstream.body, "from the origin");
}

TEST_F(PipelineTest, ReadOnlyModeBlocksAPostWith503BeforeAnyBackend) {
  ReadOnlyForThisTest read_only;
  auto post = dispatch(request("POST", "/orders"));
  EXPECT_EQ(post->downstream.status(), 503);
  EXPECT_FALSE(post->downstream.field("retry-after").empty());
  EXPECT_EQ(origin.made(), 0u);

  auto get = dispatch([] {
    http::RequestHead head = request("GET", "/orders");
    head.headers.add("Cookie", "session=1");
    return head;
  }());
  ASSERT_EQ(origin.made(), 1u) << "safe methods still pass";
  EXPECT_FALSE(origin.last().request().headers.has("cookie")) << "anonymised by the gate";
}

TEST_F(PipelineTest, StaticPrefixesAreMatchedBeforeRoutes) {
  testing::TempTree tree;
  tree.write("app.css", "body{}");
  config::StaticConfig site_config;
  site_config.prefix = "/";  // the same prefix as the plain route: the static site wins
  site_config.root = tree.path();
  auto site = static_files::StaticSite::create(site_config);
  ASSERT_TRUE(site) << site.error().message;
  pipeline.setStaticSites({*site});

  auto fx = dispatch(request("GET", "/app.css"));
  EXPECT_EQ(fx->downstream.status(), 200);
  EXPECT_EQ(fx->downstream.body, "body{}");
  EXPECT_EQ(origin.made(), 0u);
}

TEST_F(PipelineTest, OnlyACachedRouteGoesThroughTheCache) {
  pipeline.update(routes(), nullptr, {}, cache);
  const testing::FakeUpstream::Fields cacheable = {{"Cache-Control", "max-age=60"}};

  auto first = dispatch(request("GET", "/cached/a"));
  ASSERT_EQ(origin.made(), 1u);
  EXPECT_TRUE(origin.last().watched()) << "the cache watches the response";
  origin.last().respond(200, cacheable, "kept");
  auto second = dispatch(request("GET", "/cached/a"));
  EXPECT_EQ(second->downstream.body, "kept");
  EXPECT_EQ(origin.made(), 1u) << "a hit";

  auto plain = dispatch(request("GET", "/plain"));
  ASSERT_EQ(origin.made(), 2u);
  EXPECT_FALSE(origin.last().watched());
  origin.last().respond(200, cacheable, "not kept");
  dispatch(request("GET", "/plain"));
  EXPECT_EQ(origin.made(), 3u) << "no cache on this route";
}

// cache.anonymous_ignore_cookies strips analytics cookies on uncached routes too (as a Varnish
// vcl_recv does before any pass), from GET and HEAD; a POST reaches the origin as it came.
TEST_F(PipelineTest, IgnoredCookiesAreStrippedOnUncachedRoutesToo) {
  auto policy = std::make_shared<CachePolicy>(*cache);
  policy->config.anonymous_ignore_cookies = {"_ga", "_gid"};
  pipeline.update(routes(), nullptr, {}, policy);
  struct Row {
    const char* method;
    const char* cookie;
    const char* forwarded;  // nullptr: no Cookie field reaches the origin
  };
  const Row rows[] = {
      {"GET", "_ga=GA1.2.3; session=abc; _gid=x", "session=abc"},
      {"GET", "_ga=GA1.2.3", nullptr},
      {"HEAD", "_gid=1; lang=fr", "lang=fr"},
      {"POST", "_ga=GA1.2.3; session=abc", "_ga=GA1.2.3; session=abc"},
  };
  for (const Row& row : rows) {
    http::RequestHead head = request(row.method, "/plain");
    head.headers.add("Cookie", row.cookie);
    auto fx = dispatch(std::move(head));
    ASSERT_FALSE(origin.last().watched()) << "an uncached route";
    const http::HeaderMap& sent = origin.last().request().headers;
    if (row.forwarded)
      EXPECT_EQ(sent.get("cookie"), row.forwarded) << row.method << " " << row.cookie;
    else
      EXPECT_FALSE(sent.has("cookie")) << row.method << " " << row.cookie;
    origin.last().respond(200, {}, "");
  }
}

TEST_F(PipelineTest, WhileReadOnlyEveryRouteGoesThroughTheCache) {
  pipeline.update(routes(), nullptr, {}, cache);
  ReadOnlyForThisTest read_only;
  auto fx = dispatch(request("GET", "/plain"));
  ASSERT_EQ(origin.made(), 1u);
  EXPECT_TRUE(origin.last().watched());
}

}  // namespace
}  // namespace gatehouse::pipeline
