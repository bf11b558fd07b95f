// Listener options applied by the pipeline, not the codec: redirect_https answers at dispatch,
// HSTS rides on every response head of its listener's exchanges and on no other.

#include "proxy/pipeline/listener_policies.h"

#include <gtest/gtest.h>

#include "tests/support/fake_downstream.h"

namespace gatehouse::pipeline {
namespace {

using testing::FakeExchange;

http::RequestHead get(std::string_view target, std::string_view host = "example.com") {
  http::RequestHead head;
  head.method = "GET";
  head.target = std::string(target);
  head.authority = std::string(host);
  head.headers.add("Host", std::string(host));
  return head;
}

http::ClientInfo onListener(uint16_t index) {
  http::ClientInfo client;
  client.listener = index;
  return client;
}

ListenerPolicies policies() {
  ListenerPolicies p;
  p.update({{/*hsts=*/0, /*redirect_https=*/true}, {/*hsts=*/31536000, false}, {0, false}});
  return p;
}

TEST(ListenerPolicies, RedirectsAPlainListenerToHttpsWithPathAndQuery) {
  ListenerPolicies p = policies();
  FakeExchange fx(get("/a/b?c=1", "Example.com:8080"), onListener(0));
  EXPECT_TRUE(p.dispatch(fx.exchange));
  EXPECT_EQ(fx.downstream.status(), 301);
  EXPECT_EQ(fx.downstream.head->headers.get("location"), "https://example.com/a/b?c=1");
}

TEST(ListenerPolicies, AddsHstsToEveryHeadOfItsListener) {
  ListenerPolicies p = policies();
  FakeExchange fx(get("/"), onListener(1));
  EXPECT_FALSE(p.dispatch(fx.exchange));
  fx.exchange.respondHead(http::ResponseHead{});
  EXPECT_EQ(fx.downstream.head->headers.get("strict-transport-security"), "max-age=31536000");
}

TEST(ListenerPolicies, KeepsTheOriginsOwnHstsField) {
  ListenerPolicies p = policies();
  FakeExchange fx(get("/"), onListener(1));
  p.dispatch(fx.exchange);
  http::ResponseHead head;
  head.preformatted = "Strict-Transport-Security: max-age=60\r\n";
  fx.exchange.respondHead(head);
  EXPECT_FALSE(fx.downstream.head->headers.has("strict-transport-security"));
}

TEST(ListenerPolicies, LeavesOtherListenersAndUnknownIndexesAlone) {
  ListenerPolicies p = policies();
  for (uint16_t index : {2, 9}) {
    FakeExchange fx(get("/"), onListener(index));
    EXPECT_FALSE(p.dispatch(fx.exchange));
    fx.exchange.respondWhole(http::ResponseHead{}, "ok");
    EXPECT_FALSE(fx.downstream.head->headers.has("strict-transport-security"));
    EXPECT_EQ(fx.downstream.body, "ok");
  }
}

}  // namespace
}  // namespace gatehouse::pipeline
