// What a backend is told of the client (issue 14, defects 3 and 11): client-controlled fields
// stripped unless allowed, the client's address set, an Upgrade relayed only for the listed
// protocols.
#include "proxy/upstream/forwarded_headers.h"

#include <gtest/gtest.h>

#include "proxy/http/field_lines.h"

namespace gatehouse::upstream {
namespace {

http::RequestHead requestWith(std::initializer_list<std::pair<const char*, const char*>> fields) {
  http::RequestHead head;
  head.method = "GET";
  head.target = "/";
  head.authority = "example.com";
  for (auto [name, value] : fields)
    head.headers.add(name, value);
  return head;
}

// What the backend is sent: the client's fields, then the forwarding lines apply() wrote.
http::HeaderMap sent(const http::RequestHead& head) {
  http::HeaderMap all = head.headers;
  http::forEachFieldLine(head.forwarding,
                         [&](std::string_view n, std::string_view v) { all.add(n, v); });
  return all;
}

http::ClientInfo client() {
  http::ClientInfo c;
  c.ip = "192.0.2.7";
  return c;
}

TEST(ForwardPolicy, StripsEveryClientControlledFieldByDefault) {
  for (const config::ClientControlledField& field : config::kClientControlledFields) {
    http::RequestHead head = requestWith({{"Accept", "*/*"}});
    head.headers.add(std::string(field.name), "forged");
    const uint64_t before =
        ForwardCounters::process().stripped[&field - &config::kClientControlledFields[0]];
    ForwardPolicy::defaults().apply(head, client());
    if (field.name == "X-Real-IP") {
      EXPECT_EQ(sent(head).get("x-real-ip"), "192.0.2.7");
    } else {
      EXPECT_FALSE(sent(head).has(field.name)) << field.name;
    }
    EXPECT_EQ(ForwardCounters::process().stripped[&field - &config::kClientControlledFields[0]],
              before + 1)
        << field.name;
    EXPECT_EQ(sent(head).get("accept"), "*/*");
  }
}

TEST(ForwardPolicy, MatchesFieldNamesCaseInsensitively) {
  http::RequestHead head =
      requestWith({{"x-original-url", "/admin"}, {"X-HTTP-METHOD-OVERRIDE", "DELETE"}});
  ForwardPolicy::defaults().apply(head, client());
  EXPECT_FALSE(sent(head).has("x-original-url"));
  EXPECT_FALSE(sent(head).has("x-http-method-override"));
}

TEST(ForwardPolicy, PassesAnAllowedFieldAndAnAllowedRealIp) {
  config::ForwardConfig config;
  config.allow_headers = {"X-Original-URL", "X-Real-IP"};
  ForwardPolicy policy(config);
  http::RequestHead head = requestWith({{"X-Original-URL", "/a"}, {"X-Real-IP", "198.51.100.1"}});
  policy.apply(head, client());
  EXPECT_EQ(sent(head).get("x-original-url"), "/a");
  EXPECT_EQ(sent(head).get("x-real-ip"), "198.51.100.1");
  http::RequestHead without = requestWith({});
  policy.apply(without, client());
  EXPECT_EQ(sent(without).get("x-real-ip"), "192.0.2.7");
}

TEST(ForwardPolicy, SetsTheForwardedFieldsFromTheConnection) {
  http::RequestHead head =
      requestWith({{"X-Forwarded-For", "6.6.6.6"}, {"Forwarded", "for=6.6.6.6"}});
  ForwardPolicy::defaults().apply(head, client());
  EXPECT_EQ(sent(head).get("x-forwarded-for"), "192.0.2.7");
  EXPECT_EQ(sent(head).get("x-forwarded-proto"), "http");
  EXPECT_EQ(sent(head).get("x-forwarded-host"), "example.com");
  EXPECT_FALSE(sent(head).has("forwarded"));
  EXPECT_EQ(sent(head).get("via"), "1.1 gatehouse");
}

struct UpgradeRow {
  const char* upgrade;
  const char* relayed;  // nullptr: dropped, forwarded as an ordinary request
};

TEST(ForwardPolicy, RelaysOnlyTheListedUpgradeProtocols) {
  const UpgradeRow rows[] = {
      {"websocket", "websocket"},      {"WebSocket", "WebSocket"}, {"h2c", nullptr},
      {"h2c, websocket", "websocket"}, {"TLS/1.0", nullptr},       {"", nullptr},
  };
  for (const UpgradeRow& row : rows) {
    http::RequestHead head = requestWith({{"Upgrade", row.upgrade}});
    head.upgrade = true;
    ForwardPolicy::defaults().apply(head, client());
    if (row.relayed) {
      EXPECT_TRUE(head.upgrade) << row.upgrade;
      EXPECT_EQ(sent(head).get("upgrade"), row.relayed) << row.upgrade;
    } else {
      EXPECT_FALSE(head.upgrade) << row.upgrade;
      EXPECT_FALSE(sent(head).has("upgrade")) << row.upgrade;
    }
  }
}

TEST(ForwardPolicy, RelaysConfiguredUpgradeTokensWithTheirVersion) {
  config::ForwardConfig config;
  config.upgrade_tokens = {"websocket", "foo"};
  http::RequestHead head = requestWith({{"Upgrade", "h2c, foo/2"}});
  head.upgrade = true;
  ForwardPolicy(config).apply(head, client());
  EXPECT_TRUE(head.upgrade);
  EXPECT_EQ(sent(head).get("upgrade"), "foo/2");
}

TEST(ForwardPolicy, ReplacesTheFieldsItSetsAndPutsThemLastInOrder) {
  http::RequestHead head = requestWith({{"Host", "forged.example"},
                                        {"X-Forwarded-For", "10.0.0.1"},
                                        {"Accept", "*/*"},
                                        {"Via", "1.0 first"},
                                        {"Forwarded", "for=10.0.0.1"},
                                        {"via", "1.0 second"},
                                        {"X-Forwarded-Proto", "https"},
                                        {"X-Forwarded-Host", "forged.example"},
                                        {"Cookie", "a=1"}});
  ForwardPolicy::defaults().apply(head, client());
  std::string order;
  for (const http::Header& h : sent(head))
    order += h.name + "=" + h.value + ";";
  EXPECT_EQ(order,
            "Accept=*/*;Cookie=a=1;Host=example.com;X-Forwarded-For=192.0.2.7;"
            "X-Forwarded-Proto=http;X-Forwarded-Host=example.com;X-Real-IP=192.0.2.7;"
            "Via=1.0 first, 1.1 gatehouse;");
}

TEST(ForwardPolicy, TheRequestIdFollowsTheForwardingFieldsUnlessTheClientsWasKept) {
  http::RequestHead head = requestWith({{"Accept", "*/*"}});
  ForwardPolicy::defaults().apply(head, client(), "5f3c9a1e00000001");
  EXPECT_TRUE(head.forwarding.ends_with("Via: 1.1 gatehouse\r\nX-Request-Id: 5f3c9a1e00000001\r\n"))
      << head.forwarding;
  EXPECT_FALSE(head.headers.has("x-request-id"));

  http::RequestHead kept = requestWith({{"X-Request-Id", "client-chosen"}});
  ForwardPolicy::defaults().apply(kept, client(), "5f3c9a1e00000002");
  EXPECT_EQ(sent(kept).get("x-request-id"), "client-chosen");
  EXPECT_EQ(kept.forwarding.find("X-Request-Id"), std::string::npos);
}

TEST(ForwardPolicy, ApplyingAgainChangesNothing) {
  // A refetch (a 304 naming another representation) forwards the same head again: the client's
  // Via is still extended once, the id sent once, and Host is still among the fields, where
  // the refetched response's Vary key is computed from.
  http::RequestHead head = requestWith({{"Host", "example.com"}, {"Via", "1.0 first"}});
  ForwardPolicy::defaults().apply(head, client(), "5f3c9a1e00000001");
  const std::string first = head.forwarding;
  ForwardPolicy::defaults().apply(head, client(), "5f3c9a1e00000001");
  EXPECT_EQ(head.forwarding, first);
  EXPECT_EQ(sent(head).get("via"), "1.0 first, 1.1 gatehouse");
  EXPECT_EQ(head.headers.get("host"), "example.com");
  size_t hosts = 0, ids = 0;
  for (const http::Header& h : sent(head)) {
    hosts += h.name == "Host";
    ids += h.name == "X-Request-Id";
  }
  EXPECT_EQ(hosts, 1u);
  EXPECT_EQ(ids, 1u);
}

}  // namespace
}  // namespace gatehouse::upstream
