#include "config/address.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::config {
namespace {

struct GoodCase {
  std::string text;
  std::string host;
  uint16_t port;
};

TEST(ParseAddress, AcceptsNamesIpv4AndBracketedIpv6) {
  const GoodCase cases[] = {
      {"0.0.0.0:80", "0.0.0.0", 80},
      {"127.0.0.1:8001", "127.0.0.1", 8001},
      {"localhost:8001", "localhost", 8001},
      {"app-1.internal_zone.example:443", "app-1.internal_zone.example", 443},
      {"[::1]:80", "::1", 80},
      {"[::]:443", "::", 443},
      {"[2001:db8::1]:8080", "2001:db8::1", 8080},
      {"[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 80},
      {"[fe80::1%eth0]:80", "fe80::1%eth0", 80},
      {"127.0.0.1:0", "127.0.0.1", 0},
      {"host:65535", "host", 65535},
      {"host:00080", "host", 80},
  };
  for (const auto& c : cases) {
    auto a = parseAddress(c.text);
    ASSERT_TRUE(a) << c.text << ": " << a.error().message;
    EXPECT_EQ(a->host, c.host) << c.text;
    EXPECT_EQ(a->port, c.port) << c.text;
    EXPECT_EQ(a->text, c.text);
  }
}

struct BadCase {
  std::string text;
  std::string why;
};

TEST(ParseAddress, RejectsWithAReason) {
  const BadCase cases[] = {
      {"", "empty address (like 127.0.0.1:8080)"},
      {"localhost", "missing port in \"localhost\" (like localhost:8080)"},
      {"localhost:", "missing port"},
      {"localhost:80x", "bad port \"80x\""},
      {"localhost:-1", "bad port \"-1\""},
      {"localhost:+80", "bad port \"+80\""},
      {"localhost:65536", "bad port \"65536\" (must be 0 to 65535)"},
      {"localhost:99999999999", "bad port \"99999999999\""},
      {":80", "missing host in \":80\" (0.0.0.0:80 listens on every address)"},
      {"::1:80", "IPv6 address needs brackets, like [::1]:8080; got \"::1:80\""},
      {"my host:80", "bad host \"my host\""},
      {"http://x:80", "expected HOST:PORT, not a URL: \"http://x:80\""},
      {"[::1:80", "missing \"]\" in \"[::1:80\""},
      {"[::1]", "missing port in \"[::1]\" (like [::1]:8080)"},
      {"[::1]80", "missing port in \"[::1]80\" (like [::1]:8080)"},
      {"[]:80", "bad IPv6 address \"\""},
      {"[localhost]:80", "bad IPv6 address \"localhost\""},
      {"[fe80::1%]:80", "bad IPv6 address \"fe80::1%\""},
  };
  for (const auto& c : cases) {
    auto a = parseAddress(c.text);
    ASSERT_FALSE(a) << c.text;
    EXPECT_EQ(a.error().message, c.why) << c.text;
  }
}

}  // namespace
}  // namespace gatehouse::config
