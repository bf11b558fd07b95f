// `cluster:`: the Redis URL, the password's sources, defaults, and golden errors
// (FILE:LINE:COL: key: message); the config digest that /cluster compares.
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
     "gatehouse.yaml:9:19: cluster.redis: expected redis://HOST[:PORT][/DB]"},
    {"cluster: { redis: \"redis://u:p@h\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: no credentials in the URL (it appears in logs and "
     "/cluster): use password_file or password_env"},
    {"cluster: { redis: \"rediss://h\", name: s }\n",
     "gatehouse.yaml:9:19: cluster.redis: TLS to Redis (rediss://) needs hiredis 1.0, and Debian "
     "12 has 0.14: reach Redis through a TLS tunnel (stunnel, spiped) on 127.0.0.1 and name that "
     "with redis://"},
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
