// A backend's response head as the BackendConnection's user sees it: the end-to-end fields as
// field lines (hop-by-hop, Connection-named and Content-Length gone, RFC 9110 §7.6.1), the facts
// noted while copying them, and the same fields as a HeaderMap where a user edits them.
#include "proxy/upstream/backend_response_head.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/http/field_lines.h"

namespace gatehouse::upstream {
namespace {

// Parses `wire` (a whole head) and returns the lines ResponseFieldLines made of it.
struct Parsed {
  http::Http1Parser parser;
  std::string wire;
  http::ResponseHeadView view;

  explicit Parsed(std::string head) : wire(std::move(head)) {
    auto outcome = parser.parseResponse(wire, "GET");
    EXPECT_EQ(outcome.state, http::ParseState::Complete) << wire;
    view = outcome.head;
  }
};

std::string linesOf(const std::string& head) {
  Parsed p(head);
  ResponseFieldLines lines;
  EXPECT_TRUE(lines.assign(p.view));
  return std::string(lines.lines());
}

TEST(ResponseFieldLines, KeepsEndToEndFieldsInOrderAsTheyCame) {
  EXPECT_EQ(linesOf("HTTP/1.1 200 OK\r\nServer: s\r\nX-A:1\r\nx-b:   two words  \r\n"
                    "Content-Length: 0\r\n\r\n"),
            "Server: s\r\nX-A: 1\r\nx-b: two words\r\n");
}

TEST(ResponseFieldLines, DropsEveryHopByHopFieldAndContentLength) {
  // RFC 9110 §7.6.1's list, and the framing the client codec writes itself (§8.6).
  for (std::string name : {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                           "Upgrade", "Proxy-Authenticate", "CONTENT-LENGTH"}) {
    const std::string value = name == "Connection" ? "close" : "5";
    const std::string length = name == "CONTENT-LENGTH" ? "" : "Content-Length: 5\r\n";
    EXPECT_EQ(linesOf("HTTP/1.1 200 OK\r\nA: 1\r\n" + name + ": " + value + "\r\n" + length +
                      "B: 2\r\n\r\n"),
              "A: 1\r\nB: 2\r\n")
        << name;
  }
  EXPECT_EQ(linesOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nA: 1\r\n\r\n"), "A: 1\r\n");
}

TEST(ResponseFieldLines, DropsTheFieldsThatConnectionNames) {
  // §7.6.1: "a proxy ... MUST remove ... each connection option" named by Connection.
  EXPECT_EQ(linesOf("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
                    "connection: x-other\r\nX-Other: 2\r\nX-End: 3\r\nContent-Length: 0\r\n\r\n"),
            "X-End: 3\r\n");
}

TEST(ResponseFieldLines, NotesSetCookieViaAndRequestIdOnlyWhenKept) {
  Parsed p(
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nVIA: 1.1 cdn\r\nX-Request-Id: r\r\n"
      "Content-Length: 0\r\n\r\n");
  ResponseFieldLines lines;
  ASSERT_TRUE(lines.assign(p.view));
  EXPECT_TRUE(lines.hasSetCookie());
  EXPECT_TRUE(lines.hasVia());
  EXPECT_TRUE(lines.hasRequestId());
  // Reused for the next response, nothing of the last one stays.
  Parsed named(
      "HTTP/1.1 200 OK\r\nConnection: set-cookie\r\nSet-Cookie: a=1\r\n"
      "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(lines.assign(named.view));
  EXPECT_FALSE(lines.hasSetCookie());
  EXPECT_FALSE(lines.hasVia());
  EXPECT_FALSE(lines.hasRequestId());
  EXPECT_EQ(lines.lines(), "");
}

TEST(ResponseFieldLines, HoldsLinesLongerThanOnTheWire) {
  // "Name:v" gains a space in every line: the lines outgrow the head they came from.
  std::string head = "HTTP/1.1 200 OK\r\n";
  std::string want;
  for (int i = 0; i < 50; ++i) {
    head += "X" + std::to_string(i) + ":v\r\n";
    want += "X" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_EQ(linesOf(head + "Content-Length: 0\r\n\r\n"), want);
}

TEST(ResponseFieldLines, RefusesMoreNamedFieldsThanItNotes) {
  // "close" and hop-by-hop names cost nothing, however often they come.
  std::string head = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 20; ++i)
    head += "Connection: close, keep-alive\r\n";
  EXPECT_EQ(linesOf(head + "X-A: 1\r\nContent-Length: 0\r\n\r\n"), "X-A: 1\r\n");
  for (int i = 0; i < 9; ++i)
    head += "Connection: x-" + std::to_string(i) + "\r\nX-" + std::to_string(i) + ": v\r\n";
  Parsed p(head + "Content-Length: 0\r\n\r\n");
  ResponseFieldLines lines;
  EXPECT_FALSE(lines.assign(p.view));
  // The structured way removes the same fields.
  EXPECT_TRUE(structuredHeaders(p.view, false).empty());
}

TEST(ResponseFieldLines, AppendsGatehousesOwnFieldsAfterTheBackends) {
  Parsed p("HTTP/1.1 200 OK\r\nServer: app\r\nContent-Length: 0\r\n\r\n");
  ResponseFieldLines lines;
  ASSERT_TRUE(lines.assign(p.view));
  lines.append("Via", "1.1 gatehouse");
  EXPECT_EQ(lines.lines(), "Server: app\r\nVia: 1.1 gatehouse\r\n");
}

TEST(ResponseFieldLines, StructuredHeadersKeepUpgradeOnlyWhenAsked) {
  Parsed p(
      "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
      "X-A: 1\r\n\r\n");
  EXPECT_EQ(structuredHeaders(p.view, true).get("upgrade"), "websocket");
  EXPECT_FALSE(structuredHeaders(p.view, false).has("upgrade"));
  EXPECT_EQ(structuredHeaders(p.view, false).get("x-a"), "1");
}

TEST(TakeFieldLines, MovesTheLinesAheadOfTheFieldsAlreadyThere) {
  http::ResponseHead head;
  const std::string lines = "A: 1\r\nB: 2\r\n";
  head.preformatted = lines;
  head.headers.add("Via", "1.1 gatehouse");
  takeFieldLines(head);
  EXPECT_TRUE(head.preformatted.empty());
  std::string order;
  for (const http::Header& h : head.headers)
    order += h.name + "=" + h.value + ";";
  EXPECT_EQ(order, "A=1;B=2;Via=1.1 gatehouse;");
}

}  // namespace
}  // namespace gatehouse::upstream
