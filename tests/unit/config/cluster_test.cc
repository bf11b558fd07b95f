// `cluster:`: the Redis URL (redis:// and rediss://), `tls:`, the password's sources, defaults,
// and golden errors (FILE:LINE:COL: key: message); the config digest that /cluster compares.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;  // the appended text starts on line 9

TEST(Cluster, IsOffWithoutTheSection) {
  EXPECT_FALSE(load(testing::kMinimalConfig)->cluster);
}

TEST(Cluster, ReadsTheUrlAndDefaults) {
  auto c = load(minimalPlus("cluster: { redis: \"redis://10.0.0.5:6380/2\", name: shop }\n"));
  ASSERT_TRUE(c->cluster);
  EXPECT_EQ(c->cluster->host, "10.0.0.5");
  EXPECT_EQ(c->cluster->port, 6380);
  EXPECT_EQ(c->cluster->db, 2u);
  EXPECT_EQ(c->cluster->name, "shop");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(c->cluster->instance, host);  // default: the hostname
  EXPECT_EQ(c->cluster->heartbeat.count(), 1000);
  EXPECT_EQ(c->cluster->instance_ttl.count(), 5000);
  EXPECT_TRUE(c->cluster->password.empty());
}

TEST(Cluster, ReadsUrlForms) {
  auto c = load(minimalPlus("cluster: { redis: \"redis://[::1]\", name: s, instance: a }\n"));
  ASSERT_TRUE(c->cluster);
  EXPECT_EQ(c->cluster->host, "::1");
  EXPECT_EQ(c->cluster->port, 6379);
  EXPECT_EQ(c->cluster->db, 0u);
  EXPECT_EQ(c->cluster->instance, "a");
}

TEST(Cluster, RedissMeansTlsCheckedAgainstTheUrlsHostByDefault) {
  auto c = load(minimalPlus("cluster: { redis: \"rediss://redis.internal:6380/1\", name: s }\n"));
  ASSERT_TRUE(c->cluster);
  EXPECT_TRUE(c->cluster->use_tls);
  EXPECT_EQ(c->cluster->host, "redis.internal");
  EXPECT_EQ(c->cluster->port, 6380);
  EXPECT_EQ(c->cluster->db, 1u);
  EXPECT_EQ(c->cluster->tls, ClusterTlsConfig{});  // the system's CAs, the URL's host, no cert
  c = load(minimalPlus("cluster: { redis: \"redis://h\", name: s }\n"));
  ASSERT_TRUE(c->cluster);
  EXPECT_FALSE(c->cluster->use_tls);
}

TEST(Cluster, ReadsTheTlsFilesAndKeepsWhereTheyWereSet) {
  const std::string dir = ::testing::TempDir();
  for (const char* name : {"gh_ca.pem", "gh_client.pem", "gh_client.key"})
    std::ofstream(dir + name) << "x\n";
  auto c = load(minimalPlus(fmt::format(
      "cluster:\n"
      "  redis: rediss://10.0.0.5\n"
      "  name: s\n"
      "  tls: {{ ca_file: {0}gh_ca.pem, cert_file: {0}gh_client.pem, key_file: {0}gh_client.key, "
      "server_name: redis.internal }}\n",
      dir)));
  ASSERT_TRUE(c->cluster);
  const ClusterTlsConfig& tls = c->cluster->tls;
  EXPECT_EQ(tls.ca_file, dir + "gh_ca.pem");
  EXPECT_EQ(tls.cert_file, dir + "gh_client.pem");
  EXPECT_EQ(tls.key_file, dir + "gh_client.key");
  EXPECT_EQ(tls.server_name, "redis.internal");
  EXPECT_EQ(tls.ca_origin, "gatehouse.yaml:12:19: cluster.tls.ca_file");
  EXPECT_EQ(tls.key_origin.substr(0, 15), "gatehouse.yaml:");
  EXPECT_TRUE(tls.key_origin.ends_with(": cluster.tls.key_file"));
}

TEST(Cluster, ReadsThePasswordFromAFileOrTheEnvironment) {
  const std::string path = ::testing::TempDir() + "gh_redis_password";
  std::ofstream(path) << "pa ss\n";
  auto c = load(minimalPlus(fmt::format(
      "cluster: {{ redis: \"redis://127.0.0.1\", name: s, password_file: {} }}\n", path)));
  ASSERT_TRUE(c->cluster);
  EXPECT_EQ(c->cluster->password, "pa ss");
  ::setenv("GH_TEST_REDIS_PASSWORD", "from-env", 1);
  c = load(minimalPlus(
      "cluster: { redis: \"redis://127.0.0.1\", name: s, password_env: GH_TEST_REDIS_PASSWORD "
      "}\n"));
  ASSERT_TRUE(c->cluster);
  EXPECT_EQ(c->cluster->password, "from-env");
}

struct BadCase {
  const char* yaml;  // appended on line 9
  const char* error;
};

const BadCase kBad[] = {
    {"cluster: { name: s }\n", "gatehouse.yaml:9:10: cluster.redis: required key is missing"},
    {"cluster: { redis: \"redis://h\" }\n",
     "gatehouse.yaml:9:10: cluster.name: required key is missing"},
    {"cluster: { redis: \"http://h\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: expected redis://HOST[:PORT][/DB] or "
     "rediss://HOST[:PORT][/DB] (TLS)"},
    {"cluster: { redis: \"rediss://:6380\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: no host: expected redis[s]://HOST[:PORT][/DB]"},
    {"cluster: { redis: \"rediss://u:p@h\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: no credentials in the URL (it appears in logs and "
     "/cluster): use password_file or password_env"},
    {"cluster: { redis: \"redis://h\", name: s, tls: { ca_file: /etc/hostname } }\n",
     "gatehouse.yaml:9:46: cluster.tls: TLS settings for a redis:// URL: name Redis with "
     "rediss:// in cluster.redis to reach it over TLS"},
    {"cluster: { redis: \"rediss://h\", name: s, tls: { ca_file: /nonexistent/ca.pem } }\n",
     "gatehouse.yaml:9:58: cluster.tls.ca_file: cannot read \"/nonexistent/ca.pem\": No such "
     "file or directory"},
    {"cluster: { redis: \"rediss://h\", name: s, tls: { cert_file: /etc/hostname } }\n",
     "gatehouse.yaml:9:47: cluster.tls.key_file: required with cert_file (the client "
     "certificate's private key)"},
    {"cluster: { redis: \"rediss://h\", name: s, tls: { key_file: /etc/hostname } }\n",
     "gatehouse.yaml:9:47: cluster.tls.cert_file: required with key_file (the client "
     "certificate)"},
    {"cluster: { redis: \"rediss://h\", name: s, tls: { server_name: \"a/b\" } }\n",
     "gatehouse.yaml:9:62: cluster.tls.server_name: \"a/b\" is not a host name or an IP "
     "address"},
    // No switch to turn verification off: a private CA goes in ca_file (docs/CLUSTER.md).
    {"cluster: { redis: \"rediss://h\", name: s, tls: { verify: false } }\n",
     "gatehouse.yaml:9:49: cluster.tls.verify: unknown key"},
    {"cluster: { redis: \"redis://u:p@h\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: no credentials in the URL (it appears in logs and "
     "/cluster): use password_file or password_env"},
    {"cluster: { redis: \"redis://h:0\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: the port must be 1..65535"},
    {"cluster: { redis: \"redis://h/x\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: the database after / must be 0..1000"},
    {"cluster: { redis: \"redis://h\", name: \"a b\" }\n",
     "gatehouse.yaml:9:38: cluster.name: bad name \"a b\" (use letters, digits, '-', '_' or '.')"},
    {"cluster: { redis: \"redis://h\", name: s, password_env: GH_NOT_SET_ANYWHERE }\n",
     "gatehouse.yaml:9:55: cluster.password_env: environment variable GH_NOT_SET_ANYWHERE is not "
     "set"},
    {"cluster: { redis: \"redis://h\", name: s, heartbeat: 3s }\n",
     "gatehouse.yaml:9:10: cluster.instance_ttl: must be at least twice heartbeat (3000 ms)"},
    {"cluster: { redis: \"redis://h\", name: s, heartbeat: 0s }\n",
     "gatehouse.yaml:9:52: cluster.heartbeat: must be more than 0"},
    {"cluster: { redis: \"redis://h\", name: s, sentinel: x }\n",
     "gatehouse.yaml:9:41: cluster.sentinel: unknown key"},
};

TEST(Cluster, GoldenErrors) {
  for (const BadCase& c : kBad)
    EXPECT_EQ(errorsOf(minimalPlus(c.yaml)), c.error) << c.yaml;
}

TEST(ConfigDigest, IgnoresPerInstanceKeysAndSeesTheRest) {
  const auto a =
      load(minimalPlus("admin: { address: 127.0.0.1:9901, token_env: HOME }\n"
                       "cluster: { redis: \"redis://h\", name: s, instance: a }\n"));
  std::string other = minimalPlus(
      "admin: { address: 127.0.0.1:9902, token_env: HOME }\n"
      "cluster: { redis: \"redis://h\", name: s, instance: b }\n");
  other.replace(other.find("8080"), 4, "8081");
  const auto b = load(other);
  EXPECT_EQ(a->digest.size(), 16u);
  EXPECT_EQ(a->digest, b->digest);  // listeners, admin and cluster differ by design
  std::string changed = other;
  changed.replace(changed.find("8001"), 4, "8002");  // a backend: not the same site
  EXPECT_NE(load(changed)->digest, a->digest);
}

}  // namespace
}  // namespace gatehouse::config
