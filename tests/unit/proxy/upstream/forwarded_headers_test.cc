// What a backend is told of the client (issue 14, defects 3 and 11): client-controlled fields
// stripped unless allowed, the client's address set, an Upgrade relayed only for the listed
// protocols.
#include "proxy/upstream/forwarded_headers.h"

#include <gtest/gtest.h>

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
      EXPECT_EQ(head.headers.get("x-real-ip"), "192.0.2.7");
    } else {
      EXPECT_FALSE(head.headers.has(field.name)) << field.name;
    }
    EXPECT_EQ(ForwardCounters::process().stripped[&field - &config::kClientControlledFields[0]],
              before + 1)
        << field.name;
    EXPECT_EQ(head.headers.get("accept"), "*/*");
  }
}

TEST(ForwardPolicy, MatchesFieldNamesCaseInsensitively) {
  http::RequestHead head =
      requestWith({{"x-original-url", "/admin"}, {"X-HTTP-METHOD-OVERRIDE", "DELETE"}});
  ForwardPolicy::defaults().apply(head, client());
  EXPECT_FALSE(head.headers.has("x-original-url"));
  EXPECT_FALSE(head.headers.has("x-http-method-override"));
}

TEST(ForwardPolicy, PassesAnAllowedFieldAndAnAllowedRealIp) {
  config::ForwardConfig config;
  config.allow_headers = {"X-Original-URL", "X-Real-IP"};
  ForwardPolicy policy(config);
  http::RequestHead head = requestWith({{"X-Original-URL", "/a"}, {"X-Real-IP", "198.51.100.1"}});
  policy.apply(head, client());
  EXPECT_EQ(head.headers.get("x-original-url"), "/a");
  EXPECT_EQ(head.headers.get("x-real-ip"), "198.51.100.1");
  http::RequestHead without = requestWith({});
  policy.apply(without, client());
  EXPECT_EQ(without.headers.get("x-real-ip"), "192.0.2.7");
}

TEST(ForwardPolicy, SetsTheForwardedFieldsFromTheConnection) {
  http::RequestHead head =
      requestWith({{"X-Forwarded-For", "6.6.6.6"}, {"Forwarded", "for=6.6.6.6"}});
  ForwardPolicy::defaults().apply(head, client());
  EXPECT_EQ(head.headers.get("x-forwarded-for"), "192.0.2.7");
  EXPECT_EQ(head.headers.get("x-forwarded-proto"), "http");
  EXPECT_EQ(head.headers.get("x-forwarded-host"), "example.com");
  EXPECT_FALSE(head.headers.has("forwarded"));
  EXPECT_EQ(head.headers.get("via"), "1.1 gatehouse");
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
      EXPECT_EQ(head.headers.get("upgrade"), row.relayed) << row.upgrade;
    } else {
      EXPECT_FALSE(head.upgrade) << row.upgrade;
      EXPECT_FALSE(head.headers.has("upgrade")) << row.upgrade;
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
  EXPECT_EQ(head.headers.get("upgrade"), "foo/2");
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
  for (const http::Header& h : head.headers)
    order += h.name + "=" + h.value + ";";
  EXPECT_EQ(order,
            "Accept=*/*;Cookie=a=1;X-Forwarded-For=192.0.2.7;X-Forwarded-Proto=http;"
            "X-Forwarded-Host=example.com;X-Real-IP=192.0.2.7;Via=1.0 first, 1.1 gatehouse;"
            "Host=example.com;");
}

}  // namespace
}  // namespace gatehouse::upstream
