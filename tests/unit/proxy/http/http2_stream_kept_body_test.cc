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

// What a cache hit hands over: the body inside an object the store shares.
struct StoredBody {
  std::shared_ptr<const std::string> object;
  std::weak_ptr<const std::string> watch;  // expired once nobody holds the object
  explicit StoredBody(std::string bytes)
      : object(std::make_shared<const std::string>(std::move(bytes))), watch(object) {}
};

class Http2KeptBody : public testsupport::Http2ServerConnectionTest {
 protected:
  // Starts the server and a client whose streams open `window` bytes, and sends one GET.
  ExchangeLog& getOne(std::string_view path, int32_t& id, uint32_t window = 16 << 20) {
    start();
    startClient(window);
    id = client_->request("GET", path);
    return waitDispatched(1);
  }
  // A GET answered with a 64 KiB kept body that waits: the client opens 4 KiB windows and reads
  // nothing. Sets `id`.
  ExchangeLog& keptWaiting(StoredBody& stored, int32_t& id);
};

void respondKept(Exchange& exchange, StoredBody& stored) {
  const std::string_view body = *stored.object;
  exchange.respondWhole(responseHead(200, body.size()), body, std::move(stored.object));
}

ExchangeLog& Http2KeptBody::keptWaiting(StoredBody& stored, int32_t& id) {
  ExchangeLog& log = getOne("/big", id, /*window=*/4096);
  client_->read_paused = true;
  respondKept(*log.exchange, stored);
  spin(20);
  return log;
}

TEST_F(Http2KeptBody, ArrivesWholeAndTheObjectIsLetGoOnceSent) {
  int32_t id = 0;
  ExchangeLog& log = getOne("/hit", id);
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
  int32_t id = 0;
  ExchangeLog& log = getOne("/big", id, /*window=*/4096);
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

// Whatever ends the stream before its body is out, the object is let go and the bytes no longer
// count against the connection's response budget.
TEST_F(Http2KeptBody, AResetStreamLetsTheObjectGo) {
  int32_t id = 0;
  StoredBody stored(pattern(64 * 1024));
  ExchangeLog& log = keptWaiting(stored, id);
  ASSERT_FALSE(stored.watch.expired());
  EXPECT_GT(conn_->responseBuffered(), 50u * 1024);
  client_->reset(id, NGHTTP2_CANCEL);
  client_->pump();  // the reset goes out; the client still reads nothing
  ASSERT_TRUE(runUntil([&] { return log.completed; }));
  EXPECT_TRUE(stored.watch.expired());
  EXPECT_EQ(conn_->responseBuffered(), 0u);
  client_->read_paused = false;
  int32_t next = client_->request("GET", "/next");
  testsupport::respond(*waitDispatched(2).exchange, 200, "ok");
  EXPECT_EQ(waitClosed(next).body, "ok");
}

TEST_F(Http2KeptBody, ASendTimeoutLetsTheObjectGo) {
  settings_.send_timeout = Duration(100);
  start();
  startClient();
  client_->setStreamWindow(0);  // the body may never move
  int32_t id = client_->request("GET", "/big");
  ExchangeLog& log = waitDispatched(1);
  StoredBody stored(pattern(10000));
  respondKept(*log.exchange, stored);
  ClientStream& s = waitClosed(id);
  EXPECT_EQ(s.error_code, NGHTTP2_CANCEL);
  EXPECT_TRUE(stored.watch.expired());
  EXPECT_EQ(conn_->responseBuffered(), 0u);
}

TEST_F(Http2KeptBody, AClientThatDisappearsLetsTheObjectGo) {
  int32_t id = 0;
  StoredBody stored(pattern(64 * 1024));
  ExchangeLog& log = keptWaiting(stored, id);
  ASSERT_FALSE(stored.watch.expired());
  client_.reset();
  ::close(client_fd_);
  client_fd_ = -1;
  ASSERT_TRUE(runUntil([&] { return closed_count_ == 1; }));
  EXPECT_TRUE(log.completed);
  EXPECT_TRUE(stored.watch.expired());
}

// Frames of the largest size (16 KiB by default) are written in pieces rather than one span:
// the bytes still arrive whole and in order, the last frame short.
TEST_F(Http2KeptBody, FullSizeFramesArriveWholeAndInOrder) {
  int32_t id = 0;
  ExchangeLog& log = getOne("/hit", id);
  StoredBody stored(pattern(2 * 16384 + 100));
  const std::string expected = *stored.object;
  respondKept(*log.exchange, stored);
  ClientStream& s = waitClosed(id);
  EXPECT_TRUE(s.body == expected);
  EXPECT_EQ(s.data_frames, 3);
  EXPECT_TRUE(stored.watch.expired());
}

// After a head went out (and bytes of the body), a whole response given anyway is not kept: its
// body follows the queued bytes, in order, as the copying path sends it.
TEST_F(Http2KeptBody, IsNeverKeptBesideQueuedBytes) {
  int32_t id = 0;
  ExchangeLog& log = getOne("/twice", id);
  log.exchange->respondHead(responseHead(200, std::nullopt));
  testsupport::sendBody(*log.exchange, "hel");
  StoredBody stored(pattern(1000));
  const std::string expected = "hel" + *stored.object;
  respondKept(*log.exchange, stored);
  EXPECT_TRUE(stored.watch.expired()) << "nothing kept beside queued bytes";
  ClientStream& s = waitClosed(id);
  EXPECT_TRUE(s.body == expected);
}

}  // namespace
}  // namespace gatehouse::http
