// Http1Parser, requests: body framing (RFC 9112 §6), Host, Connection, Expect, Upgrade, and the
// request-smuggling classics. Every input is also fed split at every byte (requestError).
#include <gtest/gtest.h>

#include <string>

#include "proxy/http/http1_parser.h"
#include "tests/unit/proxy/http/http1_test_support.h"

namespace gatehouse::http {
namespace {

using namespace std::string_literals;
using testsupport::get;
using testsupport::post;
using testsupport::requestError;

RequestHeadView parsed(Http1Parser& parser, const std::string& in) {
  auto out = parser.parseRequest(in);
  EXPECT_EQ(out.state, ParseState::Complete) << describe(out.error);
  return out.head;
}

TEST(Http1Parser, FramesABodyByContentLength) {
  Http1Parser parser;
  std::string in = post("Content-Length: 5\r\n");
  RequestHeadView head = parsed(parser, in);
  EXPECT_EQ(head.framing, BodyFraming::ContentLength);
  EXPECT_EQ(head.content_length, 5u);
  EXPECT_EQ(parsed(parser, post("content-length: 007\r\n")).content_length, 7u);
  EXPECT_EQ(parsed(parser, post("Content-Length: 0\r\n")).framing, BodyFraming::ContentLength);
  EXPECT_EQ(requestError(in), ParseError::None);
}

TEST(Http1Parser, FramesABodyAsChunked) {
  Http1Parser parser;
  EXPECT_EQ(parsed(parser, post("Transfer-Encoding: chunked\r\n")).framing, BodyFraming::Chunked);
  EXPECT_EQ(parsed(parser, post("transfer-encoding: CHUNKED\r\n")).framing, BodyFraming::Chunked);
}

TEST(Http1Parser, AcceptsTheLargestContentLengthThatFitsInt64) {
  Http1Parser parser;
  EXPECT_EQ(parsed(parser, post("Content-Length: 9223372036854775807\r\n")).content_length,
            9223372036854775807u);
  EXPECT_EQ(requestError(post("Content-Length: 9223372036854775808\r\n")),
            ParseError::BadContentLength);
  EXPECT_EQ(requestError(post("Content-Length: 18446744073709551616\r\n")),
            ParseError::BadContentLength);
  EXPECT_EQ(requestError(post("Content-Length: 99999999999999999999999999\r\n")),
            ParseError::BadContentLength);
}

TEST(Http1Parser, RejectsContentLengthThatIsNotDigits) {
  for (const char* v : {"+5", "-5", "0x5", "5 5", "5.0", "5a", "", "1e3", "\xD9\xA5"}) {
    EXPECT_EQ(requestError(post("Content-Length: "s + v + "\r\n")), ParseError::BadContentLength)
        << v;
  }
}

// Identical duplicates are rejected too: a peer that does not collapse them frames differently.
TEST(Http1Parser, RejectsDuplicateContentLength) {
  EXPECT_EQ(requestError(post("Content-Length: 5\r\nContent-Length: 6\r\n")),
            ParseError::DuplicateContentLength);
  EXPECT_EQ(requestError(post("Content-Length: 5\r\nContent-Length: 5\r\n")),
            ParseError::DuplicateContentLength);
  EXPECT_EQ(requestError(post("Content-Length: 5, 5\r\n")), ParseError::DuplicateContentLength);
  EXPECT_EQ(requestError(post("Content-Length: 5,6\r\n")), ParseError::DuplicateContentLength);
  EXPECT_EQ(requestError(post("Content-Length: 5, x\r\n")), ParseError::BadContentLength);
}

TEST(Http1Parser, RejectsContentLengthWithChunked) {
  // CL.TE and TE.CL: a peer that honours the other header would find a second request inside.
  EXPECT_EQ(requestError(post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n")),
            ParseError::ContentLengthWithChunked);
  EXPECT_EQ(requestError(post("Transfer-Encoding: chunked\r\nContent-Length: 6\r\n")),
            ParseError::ContentLengthWithChunked);
  EXPECT_EQ(requestError(post("Content-Length: 6\r\nTransfer-Encoding: gzip\r\n")),
            ParseError::ContentLengthWithChunked);
}

TEST(Http1Parser, RejectsEveryTransferEncodingButChunked) {
  for (const char* v :
       {"xchunked", "chunkedx", "chunked, chunked", "gzip, chunked", "identity", "", "chunked,",
        ", chunked", "chunked;q=1", "chunked, gzip", "\"chunked\"", "chunked\x80"}) {
    EXPECT_EQ(requestError(post("Transfer-Encoding: "s + v + "\r\n")),
              ParseError::BadTransferEncoding)
        << v;
  }
  EXPECT_EQ(requestError(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            ParseError::BadTransferEncoding);
  EXPECT_EQ(requestError(post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
            ParseError::BadTransferEncoding);
}

TEST(Http1Parser, RejectsTransferEncodingOnHttp10) {
  EXPECT_EQ(requestError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseError::BadTransferEncoding);
}

TEST(Http1Parser, RejectsTheSmugglingClassics) {
  struct Case {
    std::string in;
    ParseError error;
  };
  const Case cases[] = {
      {post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") + "5c\r\nGPOST / HTTP/1.1\r\n",
       ParseError::ContentLengthWithChunked},
      {post("Transfer-Encoding: xchunked\r\nContent-Length: 4\r\n"),
       ParseError::ContentLengthWithChunked},
      {post("Transfer-Encoding: xchunked\r\n"), ParseError::BadTransferEncoding},
      {post("Transfer-Encoding : chunked\r\n"), ParseError::SpaceBeforeColon},
      {post("X: y\r\n Transfer-Encoding: chunked\r\n"), ParseError::ObsFold},
      {post("X: y\r\n\tTransfer-Encoding: chunked\r\n"), ParseError::ObsFold},
      {post("Transfer-Encoding:\r\n\tchunked\r\n"), ParseError::ObsFold},
      {post("Transfer-Encoding:\x0B"
            "chunked\r\n"),
       ParseError::BadHeaderValue},
      {post("Transfer-Encoding: chunked\r\nTransfer-encoding: identity\r\n"),
       ParseError::BadTransferEncoding},
      {post("Content-Length: +5\r\n"), ParseError::BadContentLength},
      {post("Content-Length: 0x5\r\n"), ParseError::BadContentLength},
      {post("Content-Length: 5\r\nContent-Length: 50\r\n"), ParseError::DuplicateContentLength},
      {post("X-A: a\0b\r\n"s), ParseError::BadHeaderValue},
      {"GET /a\x7F HTTP/1.1\r\nHost: a\r\n\r\n", ParseError::BadTarget},
      {"POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\n", ParseError::BareCrOrLf},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\n\r\n", ParseError::BareCrOrLf},
      {get("Host: b\r\n"), ParseError::DuplicateHost},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", ParseError::SpaceBeforeColon},
  };
  for (const Case& c : cases)
    EXPECT_EQ(requestError(c.in), c.error) << ::testing::PrintToString(c.in);
}

TEST(Http1Parser, RequiresExactlyOneHostOnHttp11) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\n\r\n"), ParseError::MissingHost);
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"),
            ParseError::DuplicateHost);
  EXPECT_EQ(requestError("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
            ParseError::DuplicateHost);
  Http1Parser parser;
  EXPECT_EQ(parsed(parser, "GET / HTTP/1.0\r\n\r\n").host, "");
  EXPECT_EQ(parsed(parser, "GET / HTTP/1.0\r\nHost: a.example\r\n\r\n").host, "a.example");
}

TEST(Http1Parser, AcceptsPlausibleHostValues) {
  for (const char* h : {"example.com", "example.com:8080", "EXAMPLE.com", "127.0.0.1:80", "[::1]",
                        "[2001:db8::1]:443", "xn--bcher-kva.example", "a_b-c~d", "%41.example"}) {
    Http1Parser parser;
    EXPECT_EQ(parsed(parser, "GET / HTTP/1.1\r\nHost: "s + h + "\r\n\r\n").host, h);
  }
}

TEST(Http1Parser, RejectsHostValuesThatAreNotAnAuthority) {
  for (const char* h : {"", "a b", "a/b", "user@a", "a:port", "a:123456", "a:", ":80", "[::1", "[]",
                        "[::1]x", "a,b", "a\\b", "a%4", "a?b", "a#b", "caf\xC3\xA9"}) {
    EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: "s + h + "\r\n\r\n"), ParseError::BadHost) << h;
  }
}

TEST(Http1Parser, KeepsHttp11AliveUnlessClosed) {
  Http1Parser parser;
  EXPECT_TRUE(parsed(parser, get("")).keep_alive);
  EXPECT_FALSE(parsed(parser, get("Connection: close\r\n")).keep_alive);
  EXPECT_FALSE(parsed(parser, get("Connection: keep-alive, CLOSE\r\n")).keep_alive);
  EXPECT_FALSE(parsed(parser, get("Connection: foo\r\nConnection: close\r\n")).keep_alive);
  EXPECT_TRUE(parsed(parser, get("Connection: closed\r\n")).keep_alive);
}

TEST(Http1Parser, KeepsHttp10AliveOnlyWhenAsked) {
  Http1Parser parser;
  EXPECT_FALSE(parsed(parser, "GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parsed(parser, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(
      parsed(parser, "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

TEST(Http1Parser, RecognizesExpectContinueOnHttp11Only) {
  Http1Parser parser;
  EXPECT_TRUE(parsed(parser, post("Expect: 100-Continue\r\n")).expect_continue);
  EXPECT_FALSE(parsed(parser, post("Expect: 100-continue-please\r\n")).expect_continue);
  EXPECT_FALSE(parsed(parser, "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);
}

TEST(Http1Parser, RecognizesUpgradeOnlyWithTheConnectionToken) {
  Http1Parser parser;
  EXPECT_TRUE(parsed(parser, get("Connection: Upgrade\r\nUpgrade: websocket\r\n")).upgrade);
  EXPECT_TRUE(parsed(parser, get("Upgrade: h2c\r\nConnection: keep-alive, upgrade\r\n")).upgrade);
  EXPECT_FALSE(parsed(parser, get("Upgrade: websocket\r\n")).upgrade);
  EXPECT_FALSE(parsed(parser, get("Connection: upgrade\r\n")).upgrade);
  EXPECT_FALSE(parsed(parser, "GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")
                   .upgrade);
}

TEST(Http1Parser, ChecksFramingOnlyOnceTheHeadIsWhole) {
  // The body's framing is decided by all fields together; a partial head is just Incomplete.
  Http1Parser parser;
  std::string in = post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n");
  EXPECT_EQ(parser.parseRequest(std::string_view(in).substr(0, in.size() - 1)).state,
            ParseState::Incomplete);
  EXPECT_EQ(parser.parseRequest(in).error, ParseError::ContentLengthWithChunked);
}

}  // namespace
}  // namespace gatehouse::http
