// Exchange::restart(): an exchange reused for the next request (of any connection of the worker,
// ExchangePool) keeps nothing of the previous request.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "proxy/http/exchange.h"
#include "proxy/http/http1_parser.h"
#include "proxy/http/http1_request_head.h"
#include "tests/support/fake_downstream.h"

namespace gatehouse::http {
namespace {

struct CountedHandler : Handler {
  explicit CountedHandler(int& destroyed) : destroyed(destroyed) {}
  ~CountedHandler() override { ++destroyed; }
  void onRequestBody(evbuffer*) override {}
  void onRequestEnd() override {}
  void onDownstreamDrained() override {}
  void onDownstreamReset() override {}
  int& destroyed;
};

// Adds a field to every head, as the pipeline's HSTS policy does.
struct MarkingPolicy : ResponseHeadPolicy {
  bool applies(const Exchange&, const ResponseHead&) const override { return true; }
  void apply(const Exchange&, ResponseHead& head) const override {
    head.headers.add("X-Policy", "1");
  }
};

RequestHead parse(std::string_view bytes) {
  Http1Parser parser;
  auto parsed = parser.parseRequest(bytes);
  EXPECT_EQ(parsed.state, ParseState::Complete);
  return toRequestHead(parsed.head);
}

TEST(ExchangeReuse, RestartClearsEveryTraceOfThePreviousRequest) {
  testing::FakeDownstream down;
  Exchange exchange(ClientInfo{"192.0.2.1", 4000, true, "HTTP/1.1", 3}, down);
  int destroyed = 0;
  MarkingPolicy policy;

  // The first request leaves something in every part of the exchange.
  exchange.request() = parse("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n");
  const ClientInfo first_client{"192.0.2.1", 4000, true, "HTTP/1.1", 3};
  exchange.restart(first_client, down, "first-id");
  const auto first_started = exchange.started();
  exchange.setHandler(std::make_unique<CountedHandler>(destroyed));
  exchange.setResponsePolicy(&policy);
  exchange.requestTrailers().add("X-Checksum", "abc");
  exchange.record().server = "pool/a";
  exchange.record().cache_status.assign("gatehouse; hit");
  exchange.record().bytes_received = 3;
  exchange.respondWhole(ResponseHead{}, "body");
  exchange.record().aborted = true;
  ASSERT_TRUE(exchange.headSent());
  ASSERT_EQ(down.field("X-Policy"), "1");

  // The codec takes the handler away to destroy it later, then restarts the exchange.
  std::unique_ptr<Handler> handler = exchange.takeHandler();
  EXPECT_EQ(exchange.handler(), nullptr);
  handler.reset();
  EXPECT_EQ(destroyed, 1);
  // The clock must move on, or a restart that kept the old start time could not be told apart.
  while (std::chrono::steady_clock::now() <= exchange.started()) {
  }
  exchange.request() = parse("GET /b HTTP/1.1\r\nHost: b\r\n\r\n");
  testing::FakeDownstream other_down;  // another connection of the same worker
  exchange.restart(ClientInfo{"198.51.100.7", 5000, false, "HTTP/1.0", 1}, other_down, "second-id");

  EXPECT_EQ(exchange.requestId(), "second-id");
  EXPECT_EQ(exchange.request().target, "/b");
  EXPECT_EQ(exchange.handler(), nullptr);
  EXPECT_FALSE(exchange.headSent());
  EXPECT_TRUE(exchange.requestTrailers().empty());
  EXPECT_GT(exchange.started(), first_started);
  const ExchangeRecord& r = exchange.record();
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.bytes_sent, 0u);
  EXPECT_EQ(r.bytes_received, 0u);
  EXPECT_TRUE(r.server.empty());
  EXPECT_TRUE(r.cache_status.empty());
  EXPECT_FALSE(r.aborted);
  // The new request's client and downstream.
  EXPECT_EQ(exchange.client().ip, "198.51.100.7");
  EXPECT_EQ(exchange.client().listener, 1);
  EXPECT_FALSE(exchange.client().tls);
  EXPECT_EQ(exchange.client().protocol, "HTTP/1.0");
  // No policy any more: the next head goes out as it is, to the new downstream.
  exchange.respondWhole(ResponseHead{}, "");
  EXPECT_EQ(down.heads, 1);
  EXPECT_EQ(other_down.heads, 1);
  EXPECT_EQ(other_down.field("X-Policy"), "");
}

// The request head written over in place (a reused exchange's) is the head a fresh conversion
// makes, whatever the previous one held: fields, forwarding lines, length, upgrade, target.
TEST(ExchangeReuse, AHeadWrittenOverInPlaceKeepsNothingOfThePreviousOne) {
  Http1Parser parser;
  RequestHead head;
  auto first = parser.parseRequest(
      "POST http://old.example/x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
      "X-One: 1\r\nX-Two: a-value-long-enough-to-leave-the-string-inline-buffer\r\n"
      "Connection: upgrade\r\nUpgrade: websocket\r\nX-Three: 3\r\n\r\n");
  ASSERT_EQ(first.state, ParseState::Complete);
  toRequestHead(first.head, head);
  head.forwarding = "X-Forwarded-For: 192.0.2.1\r\n";
  head.scheme = "https";
  ASSERT_EQ(head.authority, "old.example");
  ASSERT_TRUE(head.upgrade);

  auto second = parser.parseRequest("GET /b HTTP/1.0\r\nX-Two: short\r\n\r\n");
  ASSERT_EQ(second.state, ParseState::Complete);
  toRequestHead(second.head, head);
  const RequestHead fresh = toRequestHead(second.head);

  EXPECT_EQ(head.method, fresh.method);
  EXPECT_EQ(head.target, "/b");
  EXPECT_EQ(head.authority, "");
  EXPECT_EQ(head.scheme, "http");
  EXPECT_EQ(head.version_minor, 0);
  EXPECT_TRUE(head.forwarding.empty()) << "forwarding is written once per request, if empty";
  EXPECT_FALSE(head.content_length.has_value());
  EXPECT_FALSE(head.has_body);
  EXPECT_FALSE(head.upgrade);
  ASSERT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(head.headers.get("x-two"), "short");
  EXPECT_FALSE(head.headers.has("x-one"));
  EXPECT_FALSE(head.headers.has("x-three"));
}

}  // namespace
}  // namespace gatehouse::http
