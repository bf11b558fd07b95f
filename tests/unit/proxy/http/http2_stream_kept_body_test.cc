// Http2Stream's kept body: a whole response whose body lives in a shared object (a cache hit,
// Exchange::respondWhole with an owner) is written into DATA frames straight from that object.
// The stream holds the object only while bytes of it wait, whatever ends the stream.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "proxy/http/http2_server_connection.h"
#include "tests/unit/proxy/http/http2_server_connection_test_support.h"

namespace gatehouse::http {
namespace {

using testsupport::ClientStream;
using testsupport::ExchangeLog;
using testsupport::pattern;
using testsupport::responseHead;
using Http2KeptBody = testsupport::Http2ServerConnectionTest;

// What a cache hit hands over: the body inside an object the store shares.
struct StoredBody {
  std::shared_ptr<const std::string> object;
  std::weak_ptr<const std::string> watch;  // expired once nobody holds the object
  explicit StoredBody(std::string bytes)
      : object(std::make_shared<const std::string>(std::move(bytes))), watch(object) {}
};

void respondKept(Exchange& exchange, StoredBody& stored) {
  const std::string_view body = *stored.object;
  exchange.respondWhole(responseHead(200, body.size()), body, std::move(stored.object));
}

TEST_F(Http2KeptBody, ArrivesWholeAndTheObjectIsLetGoOnceSent) {
  start();
  startClient();
  int32_t id = client_->request("GET", "/hit");
  ExchangeLog& log = waitDispatched(1);
  StoredBody stored(pattern(3000));
  const std::string expected = *stored.object;
  respondKept(*log.exchange, stored);
  EXPECT_FALSE(stored.watch.expired()) << "the stream keeps the object until the body is out";
  ClientStream& s = waitClosed(id);
  ASSERT_EQ(s.statuses, std::vector<int>{200});
  EXPECT_EQ(s.headers.get("content-length"), "3000");
  EXPECT_TRUE(s.body == expected);
  EXPECT_TRUE(stored.watch.expired());
  ASSERT_TRUE(runUntil([&] { return log.completed; }));
  EXPECT_EQ(log.record.bytes_sent, 3000u);
}

// Larger than the client's stream window: frame after frame as the window opens, each from
// where the previous one stopped; meanwhile the waiting bytes count as the stream's output.
TEST_F(Http2KeptBody, GoesOutFrameByFrameAsTheClientOpensItsWindow) {
  start();
  startClient(/*window=*/4096);
  int32_t id = client_->request("GET", "/big");
  ExchangeLog& log = waitDispatched(1);
  client_->read_paused = true;
  StoredBody stored(pattern(300 * 1024));
  const std::string expected = *stored.object;
  respondKept(*log.exchange, stored);
  spin(20);
  EXPECT_TRUE(log.exchange->downstreamFull()) << "the kept bytes count as waiting output";
  EXPECT_FALSE(stored.watch.expired());
  client_->read_paused = false;
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.body.size(), expected.size());
  EXPECT_TRUE(s.body == expected);
  EXPECT_GT(s.data_frames, 70) << "a 4 KiB window lets out a frame at a time";
  EXPECT_TRUE(stored.watch.expired());
}

TEST_F(Http2KeptBody, AResetStreamLetsTheObjectGo) {
  start();
  startClient(/*window=*/4096);
  int32_t id = client_->request("GET", "/big");
  ExchangeLog& log = waitDispatched(1);
  client_->read_paused = true;
  StoredBody stored(pattern(64 * 1024));
  respondKept(*log.exchange, stored);
  spin(20);
  ASSERT_FALSE(stored.watch.expired());
  client_->read_paused = false;
  client_->reset(id, NGHTTP2_CANCEL);
  ASSERT_TRUE(runUntil([&] { return log.completed; }));
  EXPECT_TRUE(stored.watch.expired());
  // The connection goes on, its budget not held by the dropped bytes.
  int32_t next = client_->request("GET", "/next");
  ExchangeLog& next_log = waitDispatched(2);
  EXPECT_FALSE(next_log.exchange->downstreamFull());
  testsupport::respond(*next_log.exchange, 200, "ok");
  EXPECT_EQ(waitClosed(next).body, "ok");
}

TEST_F(Http2KeptBody, AHeadRequestGetsTheLengthAndNoBody) {
  start();
  startClient();
  int32_t id = client_->request("HEAD", "/hit");
  ExchangeLog& log = waitDispatched(1);
  StoredBody stored(pattern(100));
  respondKept(*log.exchange, stored);
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.headers.get("content-length"), "100");
  EXPECT_TRUE(s.body.empty());
  EXPECT_TRUE(stored.watch.expired()) << "a HEAD never keeps the object";
}

}  // namespace
}  // namespace gatehouse::http
