// `listeners:` golden errors. Each config is written out whole so that line:col can be checked
// by eye.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;

constexpr std::string_view kRest = R"(backends:
  app:
    servers: [{ name: app1, address: 127.0.0.1:8001 }]
routes: [{ backend: app }]
)";

std::string withListeners(std::string_view listeners) {
  return std::string(listeners) + std::string(kRest);
}

TEST(Listeners, RequireAtLeastOne) {
  EXPECT_EQ(errorsOf(withListeners("listeners: []\n")),
            "gatehouse.yaml:1:12: listeners: at least one listener is required");
  EXPECT_EQ(errorsOf(withListeners("listeners:\n")),
            "gatehouse.yaml:1:1: listeners: at least one listener is required");
}

TEST(Listeners, MustBeAListOfMaps) {
  EXPECT_EQ(errorsOf(withListeners("listeners: { address: 0.0.0.0:80 }\n")),
            "gatehouse.yaml:1:12: listeners: expected a list, got a map");
  EXPECT_EQ(errorsOf(withListeners("listeners:\n  - 0.0.0.0:80\n")),
            "gatehouse.yaml:2:5: listeners[0]: expected a map, got \"0.0.0.0:80\"");
  EXPECT_EQ(errorsOf(withListeners("listeners:\n  - address: [0.0.0.0, 80]\n")),
            "gatehouse.yaml:2:14: listeners[0].address: expected an address like "
            "127.0.0.1:8080, got a list");
}

TEST(Listeners, RequireAnAddress) {
  EXPECT_EQ(errorsOf(withListeners("listeners:\n  - {}\n")),
            "gatehouse.yaml:2:5: listeners[0].address: required key is missing");
}

TEST(Listeners, RejectBadAddresses) {
  EXPECT_EQ(errorsOf(withListeners(R"(listeners:
  - address: 0.0.0.0:80x
  - address: 0.0.0.0
  - address: ::1:80
)")),
            "gatehouse.yaml:2:14: listeners[0].address: bad port \"80x\"\n"
            "gatehouse.yaml:3:14: listeners[1].address: missing port in \"0.0.0.0\" (like "
            "0.0.0.0:8080)\n"
            "gatehouse.yaml:4:14: listeners[2].address: IPv6 address needs brackets, like "
            "[::1]:8080; got \"::1:80\"");
}

TEST(Listeners, RejectTheSameAddressTwice) {
  EXPECT_EQ(errorsOf(withListeners(R"(listeners:
  - address: 0.0.0.0:80
  - address: localhost:8080
  - address: 0.0.0.0:080
  - address: LOCALHOST:8080
)")),
            "gatehouse.yaml:4:14: listeners[2].address: duplicate listener address "
            "\"0.0.0.0:080\" (first at 2:14)\n"
            "gatehouse.yaml:5:14: listeners[3].address: duplicate listener address "
            "\"LOCALHOST:8080\" (first at 3:14)");
}

TEST(Listeners, AllowPortZeroMoreThanOnceBecauseEachGetsItsOwnPort) {
  auto c = load(withListeners("listeners:\n  - address: 127.0.0.1:0\n  - address: 127.0.0.1:0\n"));
  EXPECT_EQ(c->listeners.size(), 2u);
}

// A readable file for cert/key paths: the loader checks readability, the TLS context content.
std::string readableFile(const char* name) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << "placeholder\n";
  return path;
}

TEST(Listeners, ReadTlsWithHstsAndPlainWithRedirect) {
  std::string cert = readableFile("gh_cert.pem"), key = readableFile("gh_key.pem");
  auto c = load(withListeners(fmt::format(R"(listeners:
  - address: 0.0.0.0:80
    redirect_https: true
  - address: 0.0.0.0:443
    tls:
      certificates: [{{ cert: {}, key: {} }}]
      min_version: TLSv1.3
      alpn: [http/1.1]
    hsts: 31536000
  - {{ address: 127.0.0.1:8080, h2c: true }}
)",
                                          cert, key)));
  ASSERT_EQ(c->listeners.size(), 3u);
  EXPECT_TRUE(c->listeners[0].redirect_https);
  ASSERT_TRUE(c->listeners[1].tls);
  EXPECT_EQ(c->listeners[1].tls->certificates.at(0).cert, cert);
  EXPECT_EQ(c->listeners[1].tls->min_version, "TLSv1.3");
  EXPECT_EQ(c->listeners[1].tls->alpn, std::vector<std::string>{"http/1.1"});
  EXPECT_EQ(c->listeners[1].hsts, 31536000u);
  EXPECT_TRUE(c->listeners[2].h2c);
}

TEST(Listeners, NameAnUnreadableCertificateFile) {
  EXPECT_EQ(errorsOf(withListeners(R"(listeners:
  - address: 0.0.0.0:443
    tls: { certificates: [{ cert: /nonexistent/a.pem, key: /nonexistent/a.key }] }
)")),
            "gatehouse.yaml:3:35: listeners[0].tls.certificates[0].cert: cannot read "
            "\"/nonexistent/a.pem\": No such file or directory\n"
            "gatehouse.yaml:3:60: listeners[0].tls.certificates[0].key: cannot read "
            "\"/nonexistent/a.key\": No such file or directory");
}

TEST(Listeners, KeepHstsForTlsAndRedirectAndH2cForPlainListeners) {
  std::string cert = readableFile("gh_cert.pem"), key = readableFile("gh_key.pem");
  EXPECT_EQ(errorsOf(withListeners(fmt::format(R"(listeners:
  - {{ address: 0.0.0.0:80, hsts: 600 }}
  - {{ address: 0.0.0.0:443, redirect_https: true, h2c: true, tls: {{ certificates: [{{ cert: {}, key: {} }}] }} }}
)",
                                               cert, key))),
            "gatehouse.yaml:2:34: listeners[0].hsts: only for TLS listeners\n"
            "gatehouse.yaml:3:45: listeners[1].redirect_https: only for plain (non-TLS) listeners\n"
            "gatehouse.yaml:3:56: listeners[1].h2c: only for plain listeners (TLS uses ALPN)");
}

TEST(Listeners, RejectUnknownKeys) {
  EXPECT_EQ(errorsOf(withListeners("listeners:\n  - { address: 0.0.0.0:80, backlog: 511 }\n")),
            "gatehouse.yaml:2:28: listeners[0].backlog: unknown key");
}

TEST(Listeners, RememberWhereEachItemIsForReloadErrors) {
  auto c = testing::load(testing::minimalPlus(""));
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].origin, "gatehouse.yaml:2:5: listeners[0]");
}

}  // namespace
}  // namespace gatehouse::config
