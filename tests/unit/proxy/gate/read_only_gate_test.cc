// ReadOnlyGate: what is blocked, what is anonymised, what the 503 looks like, and the allowed
// prefixes that cannot be escaped. Each test has its own ReadOnlyState, not the process's.
#include "proxy/gate/read_only_gate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace gatehouse::gate {
namespace {

// Captures what the gate answers.
class CapturingDownstream final : public http::Downstream {
 public:
  void sendHead(const http::ResponseHead& h) override { head = h; }
  void sendBody(evbuffer* data) override {
    const size_t n = evbuffer_get_length(data);
    std::string chunk(n, '\0');
    evbuffer_remove(data, chunk.data(), n);
    body += chunk;
  }
  void sendEnd() override { ended = true; }
  size_t pendingOutput() const override { return 0; }
  void pauseRequestBody() override {}
  void resumeRequestBody() override {}
  void abort() override {}

  http::ResponseHead head;
  std::string body;
  bool ended = false;
};

http::RequestHead request(std::string method, std::string target) {
  http::RequestHead r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.authority = "example.com";
  r.headers.add("Cookie", "session=abc");
  r.headers.add("Authorization", "Bearer user-token");
  r.headers.add("Accept", "text/html");
  return r;
}

std::shared_ptr<const config::ReadOnlyConfig> settings(std::vector<std::string> allow = {},
                                                       std::string page = "") {
  auto s = std::make_shared<config::ReadOnlyConfig>();
  s->allow = std::move(allow);
  s->page = std::move(page);
  s->retry_after = Duration(120000);
  return s;
}

TEST(ReadOnlyGate, PassesEverythingUntouchedWhileOff) {
  ReadOnlyState state;
  ReadOnlyGate gate(state);
  auto r = request("POST", "/orders");
  EXPECT_EQ(gate.admit(r), Admission::Pass);
  EXPECT_TRUE(r.headers.has("cookie"));
  EXPECT_TRUE(r.headers.has("authorization"));
  http::ResponseHead head;
  head.headers.add("Set-Cookie", "a=b");
  gate.filterResponse(r, head);
  EXPECT_TRUE(head.headers.has("set-cookie"));
  EXPECT_EQ(state.blocked_total.load(), 0u);
}

TEST(ReadOnlyGate, BlocksEveryUnsafeMethodWhileOn) {
  ReadOnlyState state;
  state.set(true, "db migration", ReadOnlyState::Clock::now());
  ReadOnlyGate gate(state);
  for (std::string method : {"POST", "PUT", "PATCH", "DELETE", "PROPFIND", "CONNECT", "TRACE"}) {
    auto r = request(method, "/orders");
    EXPECT_EQ(gate.admit(r), Admission::Blocked) << method;
  }
  EXPECT_EQ(state.blocked_total.load(), 7u);
}

TEST(ReadOnlyGate, PassesSafeMethodsAnonymisedWhileOn) {
  ReadOnlyState state;
  state.set(true, "", std::nullopt);
  ReadOnlyGate gate(state);
  for (std::string method : {"GET", "HEAD", "OPTIONS"}) {
    auto r = request(method, "/page");
    r.headers.add("cookie", "second=1");  // HTTP/2 may split cookies over several fields
    EXPECT_EQ(gate.admit(r), Admission::Pass) << method;
    EXPECT_FALSE(r.headers.has("cookie")) << method;
    EXPECT_FALSE(r.headers.has("authorization")) << method;
    EXPECT_TRUE(r.headers.has("accept")) << method;
  }
  EXPECT_EQ(state.anonymized_total.load(), 3u);
  auto plain = request("GET", "/");
  plain.headers.remove("cookie");
  plain.headers.remove("authorization");
  EXPECT_EQ(gate.admit(plain), Admission::Pass);
  EXPECT_EQ(state.anonymized_total.load(), 3u);  // nothing dropped, nothing counted
}

TEST(ReadOnlyGate, DropsSetCookieFromResponsesWhileOn) {
  ReadOnlyState state;
  state.set(true, "", std::nullopt);
  ReadOnlyGate gate(state);
  http::ResponseHead head;
  head.headers.add("Set-Cookie", "a=b");
  head.headers.add("set-cookie", "c=d");
  head.headers.add("Content-Type", "text/html");
  gate.filterResponse(request("GET", "/"), head);
  EXPECT_FALSE(head.headers.has("set-cookie"));
  EXPECT_TRUE(head.headers.has("content-type"));
  EXPECT_EQ(state.set_cookie_dropped_total.load(), 1u);
}

TEST(ReadOnlyGate, LetsAllowedPrefixesThroughUntouched) {
  ReadOnlyState state;
  state.configure(settings({"/api/webhooks/", "/login"}));
  state.set(true, "", std::nullopt);
  ReadOnlyGate gate(state);
  auto r = request("POST", "/api/webhooks/stripe?x=1");
  EXPECT_EQ(gate.admit(r), Admission::Pass);
  EXPECT_TRUE(r.headers.has("cookie"));
  EXPECT_TRUE(r.headers.has("authorization"));
  http::ResponseHead head;
  head.headers.add("Set-Cookie", "staff=1");
  gate.filterResponse(request("POST", "/login"), head);
  EXPECT_TRUE(head.headers.has("set-cookie"));
  EXPECT_EQ(state.allowed_total.load(), 1u);
  EXPECT_EQ(gate.admit(r, Stage::BeforeBackend), Admission::Pass);
  EXPECT_EQ(state.allowed_total.load(), 1u);  // counted once, at dispatch
  auto other = request("POST", "/api/orders");
  EXPECT_EQ(gate.admit(other), Admission::Blocked);
}

TEST(ReadOnlyGate, AllowedPrefixesCannotBeEscapedWithDotSegmentsOrEncodings) {
  config::ReadOnlyConfig s;
  s.allow = {"/api/webhooks/"};
  EXPECT_TRUE(ReadOnlyGate::isAllowed("/api/webhooks/stripe", s));
  EXPECT_TRUE(ReadOnlyGate::isAllowed("/api/webhooks/a.b/..c", s));
  for (std::string_view path :
       {"/api/webhooks/../users/1", "/api/webhooks/./x", "/api/webhooks/..",
        "/api/webhooks/%2e%2e/u", "/api/webhooks/%2E./u", "/api/webhooks/..%2fusers",
        "/api/webhooks/..%5Cusers", "/api/webhooks/..\\users", "/api/webhook", "/API/webhooks/x"})
    EXPECT_FALSE(ReadOnlyGate::isAllowed(path, s)) << path;
}

// Issue 14: an allowed prefix without a trailing slash matched any path that began with it.
TEST(ReadOnlyGate, AnAllowedPrefixMatchesWholeSegmentsOnly) {
  config::ReadOnlyConfig s;
  s.allow = {"/login"};
  EXPECT_TRUE(ReadOnlyGate::isAllowed("/login", s));
  EXPECT_TRUE(ReadOnlyGate::isAllowed("/login/sso", s));
  EXPECT_FALSE(ReadOnlyGate::isAllowed("/login-as-admin", s));
  EXPECT_FALSE(ReadOnlyGate::isAllowed("/loginfoo", s));
  EXPECT_FALSE(ReadOnlyGate::isAllowed("/login/../admin", s));
}

TEST(ReadOnlyGate, AnswersBlockedRequestsWithTheConfiguredPageAndRetryAfter) {
  ReadOnlyState state;
  state.configure(settings({}, "<h1>Back soon</h1>\n"));
  state.set(true, "db migration", std::nullopt);
  ReadOnlyGate gate(state);
  CapturingDownstream down;
  http::Exchange exchange(request("POST", "/orders"), {}, "id", down);
  EXPECT_FALSE(gate.pass(exchange));
  EXPECT_EQ(down.head.status, 503);
  EXPECT_EQ(down.head.headers.get("retry-after"), "120");
  EXPECT_EQ(down.head.headers.get("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(down.head.headers.get("cache-control"), "no-store");
  EXPECT_EQ(down.body, "<h1>Back soon</h1>\n");
  EXPECT_EQ(down.head.content_length, down.body.size());
  EXPECT_TRUE(down.ended);
}

TEST(ReadOnlyGate, AnswersJsonToClientsThatPreferIt) {
  ReadOnlyState state;
  state.configure(settings());
  state.set(true, "db migration", std::nullopt);
  ReadOnlyGate gate(state);
  CapturingDownstream down;
  auto r = request("DELETE", "/orders/1");
  r.headers.set("Accept", "application/json, text/plain, */*");
  http::Exchange exchange(std::move(r), {}, "id", down);
  EXPECT_FALSE(gate.pass(exchange));
  EXPECT_EQ(down.head.headers.get("content-type"), "application/json");
  auto j = nlohmann::json::parse(down.body);
  EXPECT_EQ(j["error"], "read_only");
  EXPECT_FALSE(j.contains("reason"));  // internal: issue 17
  EXPECT_EQ(down.body.find("db migration"), std::string::npos);
  EXPECT_EQ(j["retry_after"], 120);
}

TEST(ReadOnlyGate, ShowsThePublicMessageNeverTheInternalReason) {
  ReadOnlyState state;
  state.configure(settings());
  state.set(true, "dba: restoring orders table", std::nullopt, "Back at 14:00 <UTC>");
  ReadOnlyGate gate(state);
  {
    CapturingDownstream down;
    auto r = request("POST", "/orders");
    r.headers.set("Accept", "application/json");
    http::Exchange exchange(std::move(r), {}, "id", down);
    EXPECT_FALSE(gate.pass(exchange));
    EXPECT_EQ(nlohmann::json::parse(down.body)["message"], "Back at 14:00 <UTC>");
    EXPECT_EQ(down.body.find("orders table"), std::string::npos);
  }
  {
    CapturingDownstream down;
    http::Exchange exchange(request("POST", "/orders"), {}, "id", down);
    EXPECT_FALSE(gate.pass(exchange));
    EXPECT_NE(down.body.find("Back at 14:00 &lt;UTC&gt;"), std::string::npos);
    EXPECT_EQ(down.body.find("orders table"), std::string::npos);
  }
}

TEST(ReadOnlyGate, HeadGetsTheHeadWithoutABody) {
  ReadOnlyState state;
  state.set(true, "", std::nullopt);
  CapturingDownstream down;
  http::Exchange exchange(request("HEAD", "/"), {}, "id", down);
  ReadOnlyGate(state).respondBlocked(exchange);
  EXPECT_EQ(down.head.status, 503);
  EXPECT_FALSE(down.head.has_body);
  EXPECT_EQ(down.body, "");
  EXPECT_NE(down.head.content_length.value_or(0), 0u);
}

TEST(ReadOnlyGate, PrefersJsonOnlyWhenAcceptSaysSo) {
  EXPECT_TRUE(ReadOnlyGate::prefersJson("application/json"));
  EXPECT_TRUE(ReadOnlyGate::prefersJson("application/json, text/plain, */*"));
  EXPECT_TRUE(ReadOnlyGate::prefersJson("text/html;q=0.5, application/json"));
  EXPECT_TRUE(ReadOnlyGate::prefersJson("Application/JSON"));
  EXPECT_FALSE(ReadOnlyGate::prefersJson(""));
  EXPECT_FALSE(ReadOnlyGate::prefersJson("*/*"));
  EXPECT_FALSE(ReadOnlyGate::prefersJson("text/html,application/xhtml+xml,*/*;q=0.8"));
  EXPECT_FALSE(ReadOnlyGate::prefersJson("text/html, application/json"));
  EXPECT_FALSE(ReadOnlyGate::prefersJson("application/json;q=0"));
  EXPECT_FALSE(ReadOnlyGate::prefersJson("application/json;q=0.4, text/html;q=0.9"));
}

TEST(ReadOnlyState, SetReturnsTheViewBeforeAndConfigureKeepsTheSwitch) {
  ReadOnlyState state;
  EXPECT_FALSE(state.enabled());
  const auto t = ReadOnlyState::Clock::now();
  ReadOnlyState::View before = state.set(true, "db", t);
  EXPECT_FALSE(before.enabled);
  EXPECT_FALSE(before.since);
  state.configure(settings({"/x"}));
  ReadOnlyState::View now = state.view();
  EXPECT_TRUE(now.enabled);
  EXPECT_TRUE(state.enabled());
  EXPECT_EQ(now.reason, "db");
  EXPECT_EQ(now.since, t);
  EXPECT_EQ(now.settings->allow, std::vector<std::string>{"/x"});
  EXPECT_EQ(now.minTtl().count(), 60000);
  EXPECT_EQ(state.snapshot()->reason, "db");
  state.set(false, "", t);
  EXPECT_FALSE(state.enabled());
  EXPECT_FALSE(state.view().enabled);
}

// What the mode kept only for itself (the cache's min_ttl lifetimes) ends with it: subscribers
// hear of each switch from on to off, after enabled() has turned false, while subscribed.
TEST(ReadOnlyState, TellsSubscribersWhenTheModeIsSwitchedOff) {
  ReadOnlyState state;
  int heard = 0;
  bool enabled_then = true;
  auto subscription = state.onSwitchedOff([&] {
    ++heard;
    enabled_then = state.enabled();
  });
  state.set(false, "", std::nullopt);  // off to off: nothing ended
  state.set(true, "db", std::nullopt);
  state.set(true, "still", std::nullopt);
  EXPECT_EQ(heard, 0);
  state.set(false, "", std::nullopt);
  EXPECT_EQ(heard, 1);
  EXPECT_FALSE(enabled_then);
  subscription.reset();
  state.set(true, "db", std::nullopt);
  state.set(false, "", std::nullopt);
  EXPECT_EQ(heard, 1) << "a dropped subscription hears nothing";
}

}  // namespace
}  // namespace gatehouse::gate
