// The request-target and authority rules both codecs share (request_target.h), as a table.
#include "proxy/http/request_target.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::http {
namespace {

struct AuthorityRow {
  const char* authority;
  bool port_required;
  bool valid;
  const char* why;
};

TEST(RequestTarget, AuthorityFollowsRfc3986ForHttp) {
  const AuthorityRow rows[] = {
      {"example.com", false, true, "reg-name"},
      {"example.com:8080", false, true, "reg-name and port"},
      {"EXAMPLE.com", false, true, "case is the router's business"},
      {"[::1]:443", false, true, "IP-literal and port"},
      {"192.0.2.1", false, true, "IPv4 as reg-name"},
      {"a%41b", false, true, "pct-encoded"},
      {"", false, false, "an http(s) URI never has an empty host (RFC 9110 §4.2.1)"},
      {"victim@evil", false, false, "userinfo is not an authority a client may send"},
      {"a,b", false, false, "',' is what joining two Host fields produces"},
      {"a b", false, false, "space"},
      {"a/b", false, false, "a path"},
      {"example.com:", false, false, "empty port"},
      {"example.com:123456", false, false, "port of 6 digits"},
      {"example.com:8x", false, false, "non-digit port"},
      {"[::1", false, false, "unclosed IP-literal"},
      {"[]", false, false, "empty IP-literal"},
      {"a%4", false, false, "truncated pct-encoding"},
      {"host\x7f", false, false, "DEL"},
      {"example.com", true, false, "CONNECT needs a port (RFC 9110 §9.3.6)"},
      {"example.com:443", true, true, "CONNECT authority-form"},
  };
  for (const AuthorityRow& row : rows)
    EXPECT_EQ(isAuthority(row.authority, row.port_required), row.valid)
        << row.authority << ": " << row.why;
}

struct TargetRow {
  const char* method;
  const char* target;
  bool http1;  // isTargetForm (the bytes are checked by the HTTP/1 scanner)
  bool http2;  // isHttp2Path
  const char* why;
};

TEST(RequestTarget, TargetFormsFollowRfc9112And9113) {
  const TargetRow rows[] = {
      {"GET", "/", true, true, "origin-form"},
      {"GET", "/a?b=c", true, true, "origin-form with query"},
      {"OPTIONS", "*", true, true, "asterisk-form, OPTIONS only"},
      {"GET", "*", false, false, "asterisk-form with another method"},
      {"GET", "/a#frag", false, false, "a fragment is never sent"},
      {"GET", "http://example.com/a", true, false, "absolute-form: HTTP/1 only"},
      {"GET", "http://victim@evil/a", false, false, "absolute-form with userinfo"},
      {"GET", "ftp://example.com/", false, false, "not http(s)"},
      {"CONNECT", "example.com:443", true, false, "authority-form: CONNECT, HTTP/1 only"},
      {"CONNECT", "/a", false, false, "origin-form with CONNECT"},
      {"GET", "", false, false, "empty"},
      {"GET", "a", false, false, "neither form"},
  };
  for (const TargetRow& row : rows) {
    EXPECT_EQ(isTargetForm(row.method, row.target), row.http1)
        << row.method << " " << row.target << ": " << row.why;
    EXPECT_EQ(isHttp2Path(row.method, row.target), row.http2)
        << row.method << " " << row.target << ": " << row.why;
  }
}

TEST(RequestTarget, Http2PathRefusesBytesHttp1WouldNotScan) {
  const std::string paths[] = {"/a b", "/a\x7f", "/caf\xc3\xa9", std::string("/a\0b", 4), "/a\tb"};
  for (const std::string& path : paths)
    EXPECT_FALSE(isHttp2Path("GET", path)) << path;
}

}  // namespace
}  // namespace gatehouse::http
