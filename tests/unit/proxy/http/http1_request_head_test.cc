// toRequestHead: what of an HTTP/1 request head the rest of the proxy sees.
#include "proxy/http/http1_request_head.h"

#include <gtest/gtest.h>

#include <string_view>

namespace gatehouse::http {
namespace {

RequestHead headOf(std::string_view request) {
  Http1Parser parser;
  auto outcome = parser.parseRequest(request);
  EXPECT_EQ(outcome.state, ParseState::Complete) << describe(outcome.error);
  return toRequestHead(outcome.head);
}

TEST(Http1RequestHead, CopiesMethodTargetHostAndEndToEndFields) {
  RequestHead head = headOf("GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/a?b=1");
  EXPECT_EQ(head.authority, "example.com");
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(head.headers.get("accept"), "*/*");
  EXPECT_FALSE(head.has_body);
  EXPECT_FALSE(head.content_length.has_value());
}

TEST(Http1RequestHead, DropsHopByHopExpectAndContentLength) {
  RequestHead head = headOf(
      "POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n"
      "Keep-Alive: timeout=5\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_FALSE(head.headers.has("connection"));
  EXPECT_FALSE(head.headers.has("x-hop"));
  EXPECT_FALSE(head.headers.has("keep-alive"));
  EXPECT_FALSE(head.headers.has("expect"));
  EXPECT_FALSE(head.headers.has("content-length"));
  EXPECT_TRUE(head.has_body);
  EXPECT_EQ(head.content_length, 3u);
}

TEST(Http1RequestHead, AZeroContentLengthIsNoBodyAndAChunkedOneHasNoLength) {
  RequestHead empty = headOf("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(empty.has_body);
  EXPECT_EQ(empty.content_length, 0u);
  RequestHead chunked = headOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(chunked.has_body);
  EXPECT_FALSE(chunked.content_length.has_value());
}

TEST(Http1RequestHead, KeepsUpgradeForATunnel) {
  RequestHead head =
      headOf("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_TRUE(head.upgrade);
  EXPECT_EQ(head.headers.get("upgrade"), "websocket");
  EXPECT_FALSE(head.headers.has("connection"));
}

TEST(Http1RequestHead, AnAbsoluteFormTargetBecomesOriginFormAndItsHostWins) {
  RequestHead head = headOf("GET http://b.example:8080/p?q HTTP/1.1\r\nHost: a.example\r\n\r\n");
  EXPECT_EQ(head.target, "/p?q");
  EXPECT_EQ(head.authority, "b.example:8080");
  EXPECT_EQ(headOf("GET http://b.example HTTP/1.1\r\nHost: b.example\r\n\r\n").target, "/");
  EXPECT_EQ(headOf("GET http://b.example?q HTTP/1.1\r\nHost: b.example\r\n\r\n").target, "/?q");
}

TEST(Http1RequestHead, LeavesTheAuthorityEmptyForHttp10WithoutHost) {
  RequestHead head = headOf("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.authority, "");
  EXPECT_EQ(head.version_minor, 0);
}

}  // namespace
}  // namespace gatehouse::http
