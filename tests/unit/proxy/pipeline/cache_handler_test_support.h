#pragma once
// A CacheHandler on a FakeExchange, in front of a FakeOrigin, with time from a FakeClock: what
// the cache_handler and background_refresh tests share. No socket; the loop only runs the tasks
// the cache posts (a waiter's wake-up, a refresh's deferred end) when a test runs it.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cache/cache_store.h"
#include "proxy/net/event_loop.h"
#include "proxy/pipeline/background_refresh.h"
#include "proxy/pipeline/cache_handler.h"
#include "proxy/pipeline/cache_policy.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_downstream.h"
#include "tests/support/fake_upstream.h"
#include "tests/support/loop_runner.h"

namespace gatehouse::pipeline::testing {

using gatehouse::testing::FakeExchange;
using Fields = gatehouse::testing::FakeUpstream::Fields;

class CacheHandlerTest : public ::testing::Test {
 protected:
  CacheHandlerTest() {
    auto p = std::make_shared<CachePolicy>();
    p->store = store;
    p->config.grace = Duration(3600 * 1000);
    p->config.coalesce_timeout = Duration(5000);
    p->clock = &clock;
    policy = std::move(p);
    route.host = "*";
    route.path_prefix = "/";
    route.cache = true;
  }

  static http::RequestHead request(std::string method, std::string target,
                                   const Fields& fields = {}) {
    http::RequestHead head;
    head.method = std::move(method);
    head.target = std::move(target);
    head.authority = "example.com";
    for (const auto& [name, value] : fields)
      head.headers.add(name, value);
    return head;
  }

  // A client's request, handed to a CacheHandler that has started on it.
  std::unique_ptr<FakeExchange> send(std::string method, std::string target,
                                     const Fields& fields = {}) {
    return send(request(std::move(method), std::move(target), fields));
  }
  std::unique_ptr<FakeExchange> send(http::RequestHead head) {
    auto fx = std::make_unique<FakeExchange>(std::move(head));
    auto handler = std::make_unique<CacheHandler>(fx->exchange, policy, route, loop,
                                                  origin.factory(), refreshes);
    CacheHandler* raw = handler.get();
    fx->exchange.setHandler(std::move(handler));
    raw->start();
    return fx;
  }
  std::unique_ptr<FakeExchange> get(std::string target, const Fields& fields = {}) {
    return send("GET", std::move(target), fields);
  }

  // Stores `body` under `target` through a first GET and its fill.
  void prime(const std::string& target, const Fields& response_fields, std::string_view body) {
    auto fx = get(target);
    origin.last().respond(200, response_fields, body);
    ASSERT_EQ(fx->downstream.status(), 200);
    ASSERT_NE(fx->downstream.field("cache-status").find("stored"), std::string::npos);
  }

  std::shared_ptr<const cache::CachedObject> stored(const std::string& target) {
    return store->lookup("http://example.com" + target, http::HeaderMap(), policy->now());
  }
  uint64_t counted(const std::atomic<uint64_t>& counter) const { return counter.load(); }
  cache::CacheCounters& counters() { return store->counters(); }

  // Runs what the cache posted (wake-ups, refetches, deferred deletions) until `pred` holds.
  bool runUntil(const std::function<bool()>& pred) {
    return gatehouse::testing::runUntil(loop.base(), pred);
  }
  void spin() { gatehouse::testing::spin(loop.base()); }

  gatehouse::testing::FakeClock clock;
  std::shared_ptr<cache::CacheStore> store =
      std::make_shared<cache::CacheStore>(8 * 1024 * 1024, 1024 * 1024);
  std::shared_ptr<CachePolicy> policy;  // a test may change its settings before sending
  routing::Route route;
  gatehouse::testing::FakeOrigin origin;  // outlives the loop, which may hold refreshes
  net::EventLoop loop;
  BackgroundRefreshes refreshes{loop};
};

inline bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace gatehouse::pipeline::testing
