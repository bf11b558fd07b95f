// Http1Parser, responses: the status line and body framing toward backends (RFC 9112 §6.3).
// Every input is also fed split at every byte (responseError).
#include <gtest/gtest.h>

#include <string>

#include "proxy/http/http1_parser.h"
#include "tests/unit/proxy/http/http1_test_support.h"

namespace gatehouse::http {
namespace {

using namespace std::string_literals;
using testsupport::responseError;
using testsupport::responseVerdict;

ResponseHeadView parsed(Http1Parser& parser, const std::string& in,
                        std::string_view method = "GET") {
  auto out = parser.parseResponse(in, method);
  EXPECT_EQ(out.state, ParseState::Complete) << describe(out.error);
  EXPECT_EQ(responseVerdict(in, method).state, ParseState::Complete);
  return out.head;
}

std::string response(std::string_view status_line, std::string_view fields) {
  return std::string(status_line) + "\r\n" + std::string(fields) + "\r\n";
}

TEST(Http1ResponseParser, ParsesAContentLengthResponse) {
  Http1Parser parser;
  std::string in = response("HTTP/1.1 200 OK", "Content-Length: 12\r\nX-A:  b \r\n") + "body";
  ResponseHeadView head = parsed(parser, in);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.reason, "OK");
  EXPECT_EQ(head.version_minor, 1);
  ASSERT_EQ(head.headers.size(), 2u);
  EXPECT_EQ(head.headers[1].value, "b");
  EXPECT_EQ(head.head_length, in.size() - 4);
  EXPECT_EQ(head.framing, BodyFraming::ContentLength);
  EXPECT_EQ(head.content_length, 12u);
  EXPECT_TRUE(head.keep_alive);
}

TEST(Http1ResponseParser, AcceptsAnEmptyOrMissingReason) {
  Http1Parser parser;
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 200", "Content-Length: 0\r\n")).reason, "");
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 404 ", "Content-Length: 0\r\n")).reason, "");
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 404 Not\tFound \xE2\x9C\x93", "")).reason,
            "Not\tFound \xE2\x9C\x93");
}

TEST(Http1ResponseParser, FramesNoBodyFor1xx204304AndHead) {
  Http1Parser parser;
  const std::string cl = "Content-Length: 10\r\n";
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 100 Continue", "")).framing, BodyFraming::None);
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 103 Early Hints", "Link: </a>\r\n")).framing,
            BodyFraming::None);
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 204 No Content", cl)).framing, BodyFraming::None);
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 304 Not Modified", cl)).framing, BodyFraming::None);
  ResponseHeadView head = parsed(parser, response("HTTP/1.1 200 OK", cl), "HEAD");
  EXPECT_EQ(head.framing, BodyFraming::None);
  EXPECT_EQ(head.content_length, 10u);  // the length the body would have had
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(
      parsed(parser, response("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\n"), "HEAD").framing,
      BodyFraming::None);
}

TEST(Http1ResponseParser, TreatsSwitchingProtocolsAndConnectAsTunnels) {
  Http1Parser parser;
  ResponseHeadView head =
      parsed(parser, response("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket\r\n"));
  EXPECT_EQ(head.framing, BodyFraming::None);
  EXPECT_FALSE(head.keep_alive);
  head = parsed(parser, response("HTTP/1.1 200 Connection established", ""), "CONNECT");
  EXPECT_EQ(head.framing, BodyFraming::None);
  EXPECT_FALSE(head.keep_alive);
  // A refused CONNECT is an ordinary response.
  head = parsed(parser, response("HTTP/1.1 403 Forbidden", "Content-Length: 3\r\n"), "CONNECT");
  EXPECT_EQ(head.framing, BodyFraming::ContentLength);
}

TEST(Http1ResponseParser, ReadsUntilCloseWithoutLengthOrChunked) {
  Http1Parser parser;
  ResponseHeadView head = parsed(parser, response("HTTP/1.1 200 OK", ""));
  EXPECT_EQ(head.framing, BodyFraming::UntilClose);
  EXPECT_FALSE(head.keep_alive);
}

TEST(Http1ResponseParser, FramesChunked) {
  Http1Parser parser;
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\n")).framing,
            BodyFraming::Chunked);
  EXPECT_EQ(parsed(parser, response("HTTP/1.1 200 OK", "Transfer-Encoding: Chunked\r\n")).framing,
            BodyFraming::Chunked);
  EXPECT_TRUE(
      parsed(parser, response("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\n")).keep_alive);
}

// Issue 14, defect 9: "gzip, chunked" was de-chunked and relayed as raw gzip with no
// Content-Encoding (and could be cached so); "gzip" alone was relayed until close, just as
// mislabelled. A transfer coding other than chunked is a bad response (502), whatever else the
// head says.
TEST(Http1ResponseParser, RejectsTransferCodingsOtherThanChunked) {
  for (const char* v : {"gzip, chunked", "gzip", "deflate, chunked", "identity", "x-custom"}) {
    EXPECT_EQ(responseError(response("HTTP/1.1 200 OK", "Transfer-Encoding: "s + v + "\r\n")),
              ParseError::BadTransferEncoding)
        << v;
    EXPECT_EQ(
        responseError(response("HTTP/1.1 304 Not Modified", "Transfer-Encoding: "s + v + "\r\n")),
        ParseError::BadTransferEncoding)
        << v;
  }
  EXPECT_EQ(responseError(response("HTTP/1.1 200 OK",
                                   "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
            ParseError::BadTransferEncoding);
}

TEST(Http1ResponseParser, RejectsContentLengthWithChunked) {
  EXPECT_EQ(responseError(
                response("HTTP/1.1 200 OK", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
            ParseError::ContentLengthWithChunked);
  EXPECT_EQ(responseError(
                response("HTTP/1.1 200 OK", "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n")),
            ParseError::ContentLengthWithChunked);
}

TEST(Http1ResponseParser, RejectsMalformedTransferEncoding) {
  for (const char* v : {"chunked, gzip", "chunked, chunked", "", "gzip,", "chunked;x=1"}) {
    EXPECT_EQ(responseError(response("HTTP/1.1 200 OK", "Transfer-Encoding: "s + v + "\r\n")),
              ParseError::BadTransferEncoding)
        << v;
  }
  EXPECT_EQ(responseError(response("HTTP/1.0 200 OK", "Transfer-Encoding: chunked\r\n")),
            ParseError::BadTransferEncoding);
}

TEST(Http1ResponseParser, RejectsBadOrDuplicateContentLength) {
  EXPECT_EQ(responseError(response("HTTP/1.1 200 OK", "Content-Length: -1\r\n")),
            ParseError::BadContentLength);
  EXPECT_EQ(
      responseError(response("HTTP/1.1 200 OK", "Content-Length: 1\r\nContent-Length: 1\r\n")),
      ParseError::DuplicateContentLength);
}

TEST(Http1ResponseParser, KeepsHttp10AliveOnlyWhenAsked) {
  Http1Parser parser;
  EXPECT_FALSE(parsed(parser, response("HTTP/1.0 200 OK", "Content-Length: 1\r\n")).keep_alive);
  EXPECT_TRUE(
      parsed(parser, response("HTTP/1.0 200 OK", "Content-Length: 1\r\nConnection: keep-alive\r\n"))
          .keep_alive);
  EXPECT_FALSE(
      parsed(parser, response("HTTP/1.1 200 OK", "Content-Length: 1\r\nConnection: close\r\n"))
          .keep_alive);
}

TEST(Http1ResponseParser, RejectsMalformedStatusLines) {
  for (std::string line :
       {"HTTP/1.1 20 OK"s, "HTTP/1.1 2000 OK"s, "HTTP/1.1 099 Low"s, "HTTP/1.1 600 High"s,
        "HTTP/1.1  200 OK"s, "HTTP/1.1 abc"s, "HTTP/1.1"s, "HTTP/1.1 200 O\0K"s,
        "HTTP/1.1 200 \x7F"s, "HTTP/1.1 2 0 0"s, "HTTP/1.1\t200 OK"s}) {
    EXPECT_EQ(responseError(response(line, "")), ParseError::BadStatusLine)
        << ::testing::PrintToString(line);
  }
  for (const char* line : {"HTTP/2 200 OK", "HTTP/1.2 200 OK", "ICY 200 OK", "http/1.1 200 OK"})
    EXPECT_EQ(responseError(response(line, "")), ParseError::BadVersion) << line;
}

TEST(Http1ResponseParser, AppliesTheFieldRulesOfRequests) {
  const std::string ok = "HTTP/1.1 200 OK";
  EXPECT_EQ(responseError("HTTP/1.1 200 OK\nContent-Length: 0\n\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(responseError("HTTP/1.1 200 OK\rX: 1\r\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(responseError(response(ok, "Transfer-Encoding : chunked\r\n")),
            ParseError::SpaceBeforeColon);
  EXPECT_EQ(responseError(response(ok, "X: a\r\n chunked\r\n")), ParseError::ObsFold);
  EXPECT_EQ(responseError(response(ok, "X: a\0\r\n"s)), ParseError::BadHeaderValue);
  EXPECT_EQ(responseError(response(ok, "X(: a\r\n")), ParseError::BadHeaderName);
}

TEST(Http1ResponseParser, EnforcesTheHeadLimits) {
  std::string in = response("HTTP/1.1 200 OK", "X-A: 1\r\nX-B: 2\r\n");
  EXPECT_EQ(responseError(in, "GET", ParseLimits{.headers = in.size()}), ParseError::None);
  EXPECT_EQ(responseError(in, "GET", ParseLimits{.headers = in.size() - 1}),
            ParseError::HeadersTooLarge);
  EXPECT_EQ(responseError(in, "GET", ParseLimits{.header_count = 1}), ParseError::TooManyHeaders);
}

}  // namespace
}  // namespace gatehouse::http
