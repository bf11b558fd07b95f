// Http1ServerConnection component tests: a response that goes out before the request body is
// read (a 405, a 403, a static file answered to a POST). The rest of the body is dropped within
// a budget, or the connection closes; either way a request gets one response and never a second
// (issue 14, defect 5: a 413 written after the answer reached the request pipelined behind).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/http/http1_server_connection.h"
#include "proxy/http/request_body_counters.h"
#include "tests/unit/proxy/http/http1_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientResponse;
using testsupport::ExchangeLog;
using testsupport::respond;
using Http1AnsweredEarly = testsupport::Http1ServerConnectionTest;

std::string chunks(size_t count, size_t size) {
  std::string out;
  for (size_t i = 0; i < count; ++i)
    out += fmt::format("{:x}\r\n{}\r\n", size, std::string(size, 'x'));
  return out;
}

class AnsweredEarly : public Http1AnsweredEarly {
 protected:
  // A POST is refused at once, unread; anything else is answered 200 "next".
  void SetUp() override {
    Http1AnsweredEarly::SetUp();
    dispatcher_.on_dispatch = [](ExchangeLog& log) {
      if (log.request.method == "POST")
        log.exchange->respondError(405, "not here");
      else
        respond(*log.exchange, 200, "next");
    };
  }
  // Whatever the client got after its first response, up to the close.
  std::string restUntilClose() {
    EXPECT_TRUE(waitForEof());
    return received_;
  }
};

// The discarded body passing limits.body once wrote a 413 after the 405, which the client took
// for the answer to its pipelined GET.
TEST_F(AnsweredEarly, ADiscardedBodyOverTheBodyLimitGetsNoSecond413) {
  settings_.max_body = 1024;
  start();
  send("POST /form HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks(8, 512) +
       "0\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 405);
  ClientResponse second = waitResponse();
  EXPECT_EQ(second.status, 200) << "the pipelined GET gets its own answer: " << second.head;
  EXPECT_EQ(second.body, "next");
}

// Bad chunk syntax in a body nobody reads any more: the connection closes, silently.
TEST_F(AnsweredEarly, MalformedChunksWhileDiscardingCloseWithoutASecondResponse) {
  start();
  send("POST /form HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  EXPECT_EQ(waitResponse().status, 405);
  send("zz\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(restUntilClose(), "") << "nothing after the 405";
  ASSERT_EQ(dispatcher_.logs.size(), 1u) << "the bytes after the bad chunk are not a request";
}

// The budget counts the bytes read, not the body they decode to: tiny chunks with long
// extensions cost 4 KiB of reading per body byte.
TEST_F(AnsweredEarly, TheDiscardBudgetCountsBytesOnTheWireNotDecodedBytes) {
  const RequestBodyCounters& counters = RequestBodyCounters::process();
  const uint64_t closes_before = counters.discard_closes.load();
  start();
  send("POST /form HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 405);
  const std::string padded_chunk = "1;" + std::string(4000, 'e') + "\r\nx\r\n";
  std::string wire;
  while (wire.size() < (2u << 20))
    wire += padded_chunk;
  std::string_view rest = wire;
  ASSERT_TRUE(runUntil([&] {
    sendSome(rest);
    readClient();
    return client_eof_ || rest.empty();
  }));
  EXPECT_TRUE(waitForEof()) << "2 MiB read for 500 body bytes: past the budget, closed";
  EXPECT_EQ(received_, "");
  EXPECT_EQ(counters.discard_closes.load(), closes_before + 1);
}

// Within the budget the rest is dropped and the connection serves the next request.
TEST_F(AnsweredEarly, ASmallDiscardedBodyKeepsTheConnection) {
  start();
  send("POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'b') +
       "GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(waitResponse().status, 405);
  EXPECT_EQ(waitResponse().body, "next");
}

}  // namespace
}  // namespace gatehouse::http
