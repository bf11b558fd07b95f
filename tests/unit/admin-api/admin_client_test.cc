// `ctl --admin`: the address forms accepted, and the ones refused with a reason.
#include "admin-api/ctl/admin_client.h"

#include <gtest/gtest.h>

namespace gatehouse::admin {
namespace {

TEST(ParseAdminAddress, AcceptsUrlsAndHostPort) {
  auto a = parseAdminAddress("http://127.0.0.1:9901");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9901);
  EXPECT_EQ(parseAdminAddress("http://localhost:9901/")->host, "localhost");
  EXPECT_EQ(parseAdminAddress("10.0.0.1:80")->port, 80);
  auto v6 = parseAdminAddress("http://[::1]:9901");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(parseAdminAddress("[::1]:1")->port, 1);
}

TEST(ParseAdminAddress, RefusesWhatItCannotUse) {
  auto error = [](std::string_view url) { return parseAdminAddress(url).error().message; };
  EXPECT_EQ(error("https://127.0.0.1:9901"),
            "https://127.0.0.1:9901: the admin API speaks plain HTTP; use http://");
  EXPECT_EQ(error("127.0.0.1"), "127.0.0.1: expected HOST:PORT or http://HOST:PORT");
  EXPECT_EQ(error(":9901"), ":9901: expected HOST:PORT or http://HOST:PORT");
  EXPECT_EQ(error("127.0.0.1:99999"), "127.0.0.1:99999: bad port \"99999\"");
  EXPECT_EQ(error("127.0.0.1:0"), "127.0.0.1:0: bad port \"0\"");
  EXPECT_EQ(error("127.0.0.1:"), "127.0.0.1:: bad port \"\"");
  EXPECT_EQ(error("http://127.0.0.1:9901/status"),
            "http://127.0.0.1:9901/status: give the address alone, without a path");
}

TEST(AdminClient, SaysWhenNothingListens) {
  // Port 1 on loopback: nothing listens there in a test environment.
  AdminClient client({"127.0.0.1", 1, "127.0.0.1:1"}, "t");
  auto reply = client.send("GET", "/status");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().message, "cannot connect to 127.0.0.1:1: Connection refused");
}

}  // namespace
}  // namespace gatehouse::admin
