// Http1Parser, requests: the request line, field syntax and the limits. Framing, Host and the
// smuggling classics are in http1_request_framing_test.cc; responses in
// http1_response_parser_test.cc.
#include "proxy/http/http1_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/proxy/http/http1_test_support.h"

namespace gatehouse::http {
namespace {

using namespace std::string_literals;
using testsupport::get;
using testsupport::requestError;
using testsupport::requestVerdict;

TEST(Http1Parser, ParsesASimpleGet) {
  std::string in = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept:  */* \r\n\r\n";
  Http1Parser parser;
  auto out = parser.parseRequest(in);
  ASSERT_EQ(out.state, ParseState::Complete);
  EXPECT_EQ(out.head.method, "GET");
  EXPECT_EQ(out.head.target, "/index.html?q=1");
  EXPECT_EQ(out.head.version_minor, 1);
  ASSERT_EQ(out.head.headers.size(), 2u);
  EXPECT_EQ(out.head.headers[0].name, "Host");
  EXPECT_EQ(out.head.headers[1].value, "*/*");  // OWS trimmed
  EXPECT_EQ(out.head.host, "example.com");
  EXPECT_EQ(out.head.head_length, in.size());
  EXPECT_EQ(out.head.framing, BodyFraming::None);
  EXPECT_TRUE(out.head.keep_alive);
  EXPECT_FALSE(out.head.expect_continue);
  EXPECT_FALSE(out.head.upgrade);
  EXPECT_EQ(requestVerdict(in).state, ParseState::Complete);
}

TEST(Http1Parser, ReturnsViewsIntoTheInput) {
  std::string in = get("X-A: 1\r\n") + "body";
  Http1Parser parser;
  auto out = parser.parseRequest(in);
  ASSERT_EQ(out.state, ParseState::Complete);
  auto inside = [&](std::string_view v) {
    return v.data() >= in.data() && v.data() + v.size() <= in.data() + out.head.head_length;
  };
  EXPECT_TRUE(inside(out.head.method) && inside(out.head.target) && inside(out.head.host));
  for (const HeaderView& h : out.head.headers)
    EXPECT_TRUE(inside(h.name) && inside(h.value));
  EXPECT_EQ(in.substr(out.head.head_length), "body");  // pipelined bytes are left alone
}

TEST(Http1Parser, IsIncompleteUntilTheFinalCrlf) {
  std::string in = get("X-A: 1\r\n");
  Http1Parser parser;
  for (size_t k = 0; k < in.size(); ++k)
    EXPECT_EQ(parser.parseRequest(in.substr(0, k)).state, ParseState::Incomplete) << k;
}

TEST(Http1Parser, AcceptsAnyTokenMethodCaseSensitively) {
  for (const char* m : {"PROPFIND", "M-SEARCH", "get", "X!#$%&'*+.^_`|~"}) {
    std::string in = get("", std::string(m) + " / HTTP/1.1");
    Http1Parser parser;
    auto out = parser.parseRequest(in);
    ASSERT_EQ(out.state, ParseState::Complete) << m;
    EXPECT_EQ(out.head.method, m);
  }
}

TEST(Http1Parser, AcceptsEachTargetFormOnlyWithItsMethod) {
  EXPECT_EQ(requestError(get("", "OPTIONS * HTTP/1.1")), ParseError::None);
  EXPECT_EQ(requestError(get("", "CONNECT example.com:443 HTTP/1.1")), ParseError::None);
  EXPECT_EQ(requestError(get("", "CONNECT [::1]:443 HTTP/1.1")), ParseError::None);
  EXPECT_EQ(requestError(get("", "GET http://example.com/a?b HTTP/1.1")), ParseError::None);
  EXPECT_EQ(requestError(get("", "GET HTTPS://example.com:8443 HTTP/1.1")), ParseError::None);
  for (const char* line :
       {"GET * HTTP/1.1", "GET example.com:80 HTTP/1.1", "CONNECT / HTTP/1.1",
        "CONNECT example.com HTTP/1.1", "CONNECT http://a/ HTTP/1.1", "GET ftp://a/ HTTP/1.1",
        "GET http://user@a/ HTTP/1.1", "GET http:///a HTTP/1.1", "GET /a#frag HTTP/1.1",
        "GET a/b HTTP/1.1", "OPTIONS ** HTTP/1.1"}) {
    EXPECT_EQ(requestError(get("", line)), ParseError::BadTarget) << line;
  }
}

TEST(Http1Parser, RejectsTargetBytesThatAreNotVisibleAscii) {
  for (std::string target : {"/a\x7F"s, "/a\0b"s, "/\x80"s, "/\xFF"s, "/a\tb"s, "/a\x01"s}) {
    EXPECT_EQ(requestError(get("", "GET " + target + " HTTP/1.1")), ParseError::BadTarget)
        << ::testing::PrintToString(target);
  }
}

TEST(Http1Parser, RejectsMalformedRequestLines) {
  for (const char* in : {"GET /\r\n\r\n", " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                         "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "GET\r\n\r\n"}) {
    EXPECT_EQ(requestError(in), ParseError::BadRequestLine) << ::testing::PrintToString(in);
  }
}

TEST(Http1Parser, RejectsMethodsThatAreNotTokens) {
  EXPECT_EQ(requestError(get("", "GE(T / HTTP/1.1")), ParseError::BadMethod);
  EXPECT_EQ(requestError(get("", "G\x80T / HTTP/1.1")), ParseError::BadMethod);
  EXPECT_EQ(requestError("\x16\x03\x01\x02\x00"s), ParseError::BadMethod);  // TLS on plain port
}

TEST(Http1Parser, RejectsEveryVersionButHttp10AndHttp11) {
  for (const char* v : {"HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "http/1.1", "HTTP/1.10", "HTTP/1.1 ",
                        "HTTP/1", "HTTP/1.", "HTTP/11", "HTTPS/1.1"}) {
    EXPECT_EQ(requestError(get("", "GET / "s + v)), ParseError::BadVersion) << v;
  }
  Http1Parser parser;
  auto out = parser.parseRequest("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(out.state, ParseState::Complete);
  EXPECT_EQ(out.head.version_minor, 0);
}

TEST(Http1Parser, SkipsAFewLeadingEmptyLines) {
  std::string in = "\r\n\r\n" + get("");
  Http1Parser parser;
  auto out = parser.parseRequest(in);
  ASSERT_EQ(out.state, ParseState::Complete);
  EXPECT_EQ(out.head.head_length, in.size());
  EXPECT_EQ(out.head.method, "GET");
  EXPECT_EQ(requestError("\r\n\r\n\r\n\r\n" + get("")), ParseError::None);
  EXPECT_EQ(requestError("\r\n\r\n\r\n\r\n\r\n" + get("")), ParseError::BadRequestLine);
  EXPECT_EQ(requestError("\n" + get("")), ParseError::BareCrOrLf);
}

TEST(Http1Parser, RejectsBareLfLineEndings) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\nHost: a\n\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a\r\n\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(requestError("GET /\n HTTP/1.1\r\nHost: a\r\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(requestError(get("X-A: 1\nTransfer-Encoding: chunked\r\n")), ParseError::BareCrOrLf);
}

TEST(Http1Parser, RejectsBareCr) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\rHost: a\r\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(requestError(get("X-A: 1\rX-B: 2\r\n")), ParseError::BareCrOrLf);
  EXPECT_EQ(requestError(get("X-A: 1\r\r\n")), ParseError::BareCrOrLf);
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), ParseError::BareCrOrLf);
}

TEST(Http1Parser, RejectsHeaderNamesThatAreNotTokens) {
  for (std::string line : {"X(A: 1"s, ": 1"s, "X-A\r\n"s, "X\x80: 1"s, "X\0A: 1"s, "\"X\": 1"s}) {
    if (line.back() != '\n') line += "\r\n";
    EXPECT_EQ(requestError(get(line)), ParseError::BadHeaderName) << ::testing::PrintToString(line);
  }
}

TEST(Http1Parser, RejectsWhitespaceBeforeTheColon) {
  EXPECT_EQ(requestError(get("Transfer-Encoding : chunked\r\n")), ParseError::SpaceBeforeColon);
  EXPECT_EQ(requestError(get("Content-Length\t: 5\r\n")), ParseError::SpaceBeforeColon);
  EXPECT_EQ(requestError(get("X A: 1\r\n")), ParseError::SpaceBeforeColon);
}

TEST(Http1Parser, RejectsObsFold) {
  EXPECT_EQ(requestError(get("X-A: 1\r\n 2\r\n")), ParseError::ObsFold);
  EXPECT_EQ(requestError(get("X-A: 1\r\n\tTransfer-Encoding: chunked\r\n")), ParseError::ObsFold);
  EXPECT_EQ(requestError(get("Transfer-Encoding:\r\n chunked\r\n")), ParseError::ObsFold);
  // Whitespace between the start line and the first field (RFC 9112 §2.2).
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), ParseError::ObsFold);
}

TEST(Http1Parser, RejectsControlBytesInHeaderValues) {
  for (std::string v : {"a\0b"s, "\0"s, "a\x7F"s, "a\x01"s, "\x1F"s, "a\x0B"s, "\x0C"s}) {
    EXPECT_EQ(requestError(get("X-A: " + v + "\r\n")), ParseError::BadHeaderValue)
        << ::testing::PrintToString(v);
  }
}

TEST(Http1Parser, FindsAControlByteAtEveryPlaceOfALongValue) {
  // RFC 9110 §5.5: no CTL but HTAB, no DEL. Values of 20 bytes go through the parser's
  // sixteen-bytes-at-a-time scan (byte_scan.h): each forbidden byte at each offset must be found.
  for (int c = 0; c <= 0x7F; ++c) {
    if (c == '\t' || (c >= 0x20 && c != 0x7F) || c == '\r' || c == '\n') continue;
    for (size_t at = 0; at < 20; ++at) {
      std::string v(20, 'v');
      v[at] = static_cast<char>(c);
      EXPECT_EQ(requestError(get("X-A: " + v + "z\r\n")), ParseError::BadHeaderValue)
          << "byte " << c << " at " << at;
    }
  }
}

TEST(Http1Parser, TakesEveryFieldValueByteInALongValue) {
  // Every allowed byte (HTAB, SP, VCHAR, obs-text) at each offset of a long value, trimmed of
  // nothing but its outer whitespace.
  for (int c = 0x09; c <= 0xFF; ++c) {
    if (c != '\t' && (c < 0x20 || c == 0x7F)) continue;
    for (size_t at = 0; at < 20; ++at) {
      std::string v(20, 'v');
      v[at] = static_cast<char>(c);
      Http1Parser parser;
      std::string in = get("X-A: " + v + "z\r\n");
      auto out = parser.parseRequest(in);
      ASSERT_EQ(out.state, ParseState::Complete) << "byte " << c << " at " << at;
      std::string want = v + "z";
      if (at == 0 && (c == ' ' || c == '\t')) want.erase(0, 1);
      EXPECT_EQ(out.head.headers[1].value, want) << "byte " << c << " at " << at;
    }
  }
}

TEST(Http1Parser, AcceptsObsTextTabsAndEmptyValues) {
  std::string in = get("X-A: caf\xC3\xA9\tok\r\nX-B:\r\nX-C:   \r\n");
  Http1Parser parser;
  auto out = parser.parseRequest(in);
  ASSERT_EQ(out.state, ParseState::Complete);
  ASSERT_EQ(out.head.headers.size(), 4u);
  EXPECT_EQ(out.head.headers[1].value, "caf\xC3\xA9\tok");
  EXPECT_EQ(out.head.headers[2].value, "");
  EXPECT_EQ(out.head.headers[3].value, "");
}

TEST(Http1Parser, RejectsARequestLineOverTheLimitWith414) {
  ParseLimits limits{.request_line = 20};
  std::string fits = "GET /" + std::string(6, 'a') + " HTTP/1.1";  // 20 bytes
  EXPECT_EQ(requestError(get("", fits), limits), ParseError::None);
  std::string over = "GET /" + std::string(7, 'a') + " HTTP/1.1";
  EXPECT_EQ(requestError(get("", over), limits), ParseError::UriTooLong);
  // The limit fires on a line that never ends, too.
  EXPECT_EQ(requestError("GET /" + std::string(40, 'a'), limits), ParseError::UriTooLong);
  EXPECT_EQ(statusFor(ParseError::UriTooLong), 414);
}

TEST(Http1Parser, RejectsAHeadOverTheLimitWith431) {
  std::string in = get("X-A: 1\r\n");
  EXPECT_EQ(requestError(in, ParseLimits{.headers = in.size()}), ParseError::None);
  EXPECT_EQ(requestError(in, ParseLimits{.headers = in.size() - 1}), ParseError::HeadersTooLarge);
  EXPECT_EQ(requestError(get("X-A: " + std::string(100, 'a')), ParseLimits{.headers = 64}),
            ParseError::HeadersTooLarge);
  EXPECT_EQ(requestError("\r\n\r\n\r\n", ParseLimits{.headers = 4}), ParseError::HeadersTooLarge);
  EXPECT_EQ(statusFor(ParseError::HeadersTooLarge), 431);
}

TEST(Http1Parser, RejectsMoreFieldsThanTheLimitWith431) {
  ParseLimits limits{.header_count = 3};
  EXPECT_EQ(requestError(get("X-A: 1\r\nX-B: 2\r\n"), limits), ParseError::None);
  EXPECT_EQ(requestError(get("X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n"), limits),
            ParseError::TooManyHeaders);
  EXPECT_EQ(statusFor(ParseError::TooManyHeaders), 431);
}

TEST(Http1Parser, ErrorsDoNotChangeWhenMoreBytesArrive) {
  Http1Parser parser;
  std::string in = get("X-A: \x01") + "GET / HTTP/1.1\r\n";
  for (size_t k = in.find('\x01') + 1; k <= in.size(); ++k) {
    auto out = parser.parseRequest(std::string_view(in).substr(0, k));
    EXPECT_EQ(out.state, ParseState::Error);
    EXPECT_EQ(out.error, ParseError::BadHeaderValue);
  }
}

TEST(Http1Parser, ReusesItsHeaderArrayAcrossParses) {
  Http1Parser parser;
  std::string first = get("X-A: 1\r\nX-B: 2\r\n");
  std::string second = get("X-C: 3\r\n");
  ASSERT_EQ(parser.parseRequest(first).head.headers.size(), 3u);
  auto out = parser.parseRequest(second);
  ASSERT_EQ(out.head.headers.size(), 2u);
  EXPECT_EQ(out.head.headers[1].name, "X-C");
}

TEST(Http1Parser, DescribesEveryError) {
  for (int e = 0; e <= static_cast<int>(ParseError::BadHost); ++e) {
    auto error = static_cast<ParseError>(e);
    EXPECT_FALSE(describe(error).empty());
    EXPECT_NE(describe(error), "unknown error");
    int status = statusFor(error);
    EXPECT_TRUE(status == 400 || status == 414 || status == 431);
  }
}

}  // namespace
}  // namespace gatehouse::http
