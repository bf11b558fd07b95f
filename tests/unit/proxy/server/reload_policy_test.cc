// The reload policy, key by key (issue 16): every top-level key of gatehouse.yaml is either
// applied by a reload or refused with `FILE:LINE:COL: key: needs a restart`. The table walks
// every key of config::kTopLevelKeys, so a new key without a rule and a case fails here.
#include "proxy/server/reload_policy.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>
#include <string>

#include "config/loader.h"

namespace gatehouse::server {
namespace {

constexpr const char* kBase = R"(workers: 2
shutdown_grace: 5s
state_file: /tmp/gatehouse-reload-policy-state.json
listeners:
  - address: 127.0.0.1:18080
admin:
  address: 127.0.0.1:19901
  token_env: GATEHOUSE_RELOAD_POLICY_TOKEN
forward: { upgrade_tokens: [websocket] }
backends:
  app:
    servers:
      - { name: a1, address: 127.0.0.1:8001 }
static:
  - { prefix: /s/, root: /tmp }
cache: { memory: 1MiB }
read_only: { retry_after: 60s }
routes:
  - { host: "*", path_prefix: /, backend: app }
timeouts: { client_header: 5s }
limits: { body: 1MiB }
log: { access: "off", level: info }
http2: { max_concurrent_streams: 64 }
cluster: { redis: "redis://127.0.0.1:6399/0", name: site, instance: a }
)";

struct Case {
  std::string_view key;       // the top-level key the change is under
  std::string_view from, to;  // text replaced in kBase
  std::string_view refusal;   // empty: the reload applies; else the exact error
};

const Case kCases[] = {
    {"workers", "workers: 2", "workers: 3",
     "t.yaml:1:1: workers: needs a restart (2 running, 3 in the file)"},
    {"shutdown_grace", "shutdown_grace: 5s", "shutdown_grace: 9s", ""},
    {"state_file", "gatehouse-reload-policy-state.json", "gatehouse-reload-policy-other.json",
     "t.yaml:3:1: state_file: needs a restart (in use: "
     "/tmp/gatehouse-reload-policy-state.json, the file says "
     "/tmp/gatehouse-reload-policy-other.json)"},
    {"listeners", "127.0.0.1:18080", "127.0.0.1:18081",
     "t.yaml:5:5: listeners[0]: changed from 127.0.0.1:18080 to 127.0.0.1:18081; listeners are "
     "bound at start: restart to apply"},
    {"listeners", "  - address: 127.0.0.1:18080\n", "  - address: 127.0.0.1:18080\n    h2c: true\n",
     ""},
    {"admin", "127.0.0.1:19901", "127.0.0.1:19902",
     "t.yaml:7:3: admin.address: needs a restart (listening on 127.0.0.1:19901, the file says "
     "127.0.0.1:19902; `ctl -c` would follow the file)"},
    {"admin", "  token_env:", "  max_connections: 64\n  token_env:", ""},
    {"admin", "admin:\n  address: 127.0.0.1:19901\n  token_env: GATEHOUSE_RELOAD_POLICY_TOKEN\n",
     "", "t.yaml: admin: needs a restart (the admin API is running; removing it)"},
    {"forward", "[websocket]", "[websocket, foo]", ""},
    {"backends", "127.0.0.1:8001 }", "127.0.0.1:8002 }", ""},
    {"static", "prefix: /s/", "prefix: /t/", ""},
    {"cache", "memory: 1MiB", "memory: 2MiB", ""},
    {"read_only", "retry_after: 60s", "retry_after: 30s", ""},
    {"routes", "path_prefix: /,", "path_prefix: /x,", ""},
    {"timeouts", "client_header: 5s", "client_header: 6s", ""},
    {"limits", "body: 1MiB", "body: 2MiB", ""},
    {"log", "access: \"off\"", "access: stdout, format: json, error: /tmp/gh-error.log", ""},
    {"http2", "max_concurrent_streams: 64", "max_concurrent_streams: 32", ""},
    {"cluster", "instance: a", "instance: b",
     "t.yaml:24:1: cluster: needs a restart (Redis, the site and the instance are set at start)"},
};

std::shared_ptr<const config::Config> load(const std::string& text) {
  auto config = config::loadConfigText(text, "t.yaml");
  EXPECT_TRUE(config) << (config ? "" : config.error().message);
  return config ? *config : nullptr;
}

TEST(ReloadPolicy, HasOneRulePerTopLevelKeyInOrder) {
  auto rules = reloadRules();
  ASSERT_EQ(rules.size(), std::size(config::kTopLevelKeys));
  for (size_t i = 0; i < rules.size(); ++i)
    EXPECT_EQ(rules[i].key, config::kTopLevelKeys[i]);
}

TEST(ReloadPolicy, WalksEveryTopLevelKey) {
  std::set<std::string_view> covered;
  for (const Case& c : kCases)
    covered.insert(c.key);
  for (std::string_view key : config::kTopLevelKeys)
    EXPECT_TRUE(covered.count(key)) << key << " has no reload case";
  // The base file sets every key, so each case changes a key the file names.
  for (std::string_view key : config::kTopLevelKeys)
    EXPECT_NE(std::string(kBase).find(std::string(key) + ":"), std::string::npos) << key;
}

TEST(ReloadPolicy, AppliesOrRefusesEachKey) {
  setenv("GATEHOUSE_RELOAD_POLICY_TOKEN", "secret", 1);
  auto running = load(kBase);
  ASSERT_TRUE(running);
  for (const Case& c : kCases) {
    std::string text = kBase;
    const size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    auto next = load(text);
    ASSERT_TRUE(next) << c.key;
    auto verdict = checkReloadable(*running, *next);
    if (c.refusal.empty()) {
      EXPECT_TRUE(verdict) << c.key << ": " << verdict.error().message;
    } else {
      ASSERT_FALSE(verdict) << c.key;
      EXPECT_EQ(verdict.error().message, c.refusal);
    }
    // A rule that says "needs a restart" for the whole key must refuse every change of it.
    for (const ReloadRule& rule : reloadRules()) {
      if (rule.key != c.key) continue;
      if (rule.on_reload == OnReload::NeedsRestart) {
        EXPECT_FALSE(verdict) << c.key;
      }
      if (rule.on_reload == OnReload::Applies) {
        EXPECT_TRUE(verdict) << c.key;
      }
    }
  }
}

TEST(ReloadPolicy, ListsEveryRefusalOnItsOwnLine) {
  setenv("GATEHOUSE_RELOAD_POLICY_TOKEN", "secret", 1);
  auto running = load(kBase);
  std::string text = kBase;
  text.replace(text.find("workers: 2"), 10, "workers: 4");
  text.replace(text.find("127.0.0.1:19901"), 15, "127.0.0.1:19903");
  auto next = load(text);
  ASSERT_TRUE(running && next);
  auto verdict = checkReloadable(*running, *next);
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().message,
            "t.yaml:1:1: workers: needs a restart (2 running, 4 in the file)\n"
            "t.yaml:7:3: admin.address: needs a restart (listening on 127.0.0.1:19901, the file "
            "says 127.0.0.1:19903; `ctl -c` would follow the file)");
}

}  // namespace
}  // namespace gatehouse::server
