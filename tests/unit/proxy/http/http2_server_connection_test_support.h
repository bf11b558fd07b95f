#pragma once
// Shared by the Http2ServerConnection component tests: the real codec and transport on one
// in-process loop; the client end of a socketpair driven either by an nghttp2 client session
// (H2Client) or, for floods a well-behaved library would never send, by raw frames. The fake
// dispatcher and handlers are the HTTP/1 tests' (the Exchange seam is the same). Every wait
// runs the loop and the client in bounded rounds against a deadline; nothing sleeps.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/http2_server_connection.h"
#include "tests/support/loop_runner.h"
#include "tests/unit/proxy/http/http1_server_connection_test_support.h"
#include "tests/unit/proxy/http/http2_test_frames.h"

namespace gatehouse::http::testsupport {

// What the client saw of one stream.
struct ClientStream {
  std::vector<int> statuses;  // informational ones first, then the final one
  HeaderMap headers;          // of the final response
  std::string body;
  bool headers_end_stream = false;  // the response had no DATA at all
  bool closed = false;
  uint32_t error_code = 0;  // from the server's RST_STREAM, or NO_ERROR
  bool reset = false;       // the server sent RST_STREAM
  int window_updates = 0;   // WINDOW_UPDATE frames the server sent for this stream
  int data_frames = 0;      // DATA frames of the response
  // The request body still to upload; the provider defers while it is empty and not ended.
  std::string upload;
  size_t uploaded = 0;
  bool upload_ended = true;
};

// An nghttp2 client session over a non-blocking fd, pumped by hand.
class H2Client {
 public:
  H2Client(int fd, uint32_t window);
  ~H2Client() { nghttp2_session_del(session_); }
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  // Queues a request; body nullopt ends the stream with the HEADERS. A pseudo-field given in
  // `headers` replaces the default one, or with an empty value leaves it out.
  int32_t request(std::string_view method, std::string_view path,
                  std::vector<std::pair<std::string, std::string>> headers = {},
                  std::optional<std::string> body = std::nullopt, bool body_ended = true);
  void addUpload(int32_t id, std::string_view more, bool end);
  void reset(int32_t id, uint32_t code) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
  }
  // SETTINGS_INITIAL_WINDOW_SIZE: how much of each response the server may send unasked.
  void setStreamWindow(uint32_t window) {
    nghttp2_settings_entry entry{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, &entry, 1);
  }
  // Writes what the session has to send, then reads (unless paused) and feeds the session.
  void pump();
  ClientStream& stream(int32_t id) { return streams_[id]; }
  int32_t remoteWindow(int32_t id) {
    return nghttp2_session_get_stream_remote_window_size(session_, id);
  }

  bool read_paused = false;
  bool eof = false;
  int goaways = 0;
  uint32_t goaway_error = 0;
  int32_t goaway_last_stream = -1;

 private:
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* self);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void* self);
  static int onClose(nghttp2_session*, int32_t id, uint32_t code, void* self);
  static ssize_t readUpload(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                            uint32_t* flags, nghttp2_data_source*, void* self);

  int fd_;
  nghttp2_session* session_ = nullptr;
  std::string out_;
  std::map<int32_t, ClientStream> streams_;
};

// --- the fixture ---------------------------------------------------------------------------

class Http2ServerConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The connection copies settings_: change them before start().
  void start();
  void startClient(uint32_t window = 16 << 20) {
    client_ = std::make_unique<H2Client>(client_fd_, window);
  }

  bool runUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void spin(int rounds = 50);
  // Raw mode: exact bytes in, frames out.
  void sendRaw(std::string_view bytes);
  // Reads raw frames until one of `type` arrives (or EOF / timeout).
  std::optional<RawFrame> waitRawFrame(uint8_t type);
  bool waitRawEof();

  ExchangeLog& waitDispatched(size_t n);
  ClientStream& waitClosed(int32_t id);

  net::EventLoop loop_;
  Http2Settings settings_;
  RequestIdGenerator ids_;
  FakeDispatcher dispatcher_;
  std::shared_ptr<Http2ServerConnection> conn_;  // null once closed (moved to deferred deletion)
  std::unique_ptr<H2Client> client_;
  int closed_count_ = 0;
  int server_fd_ = -1;
  int client_fd_ = -1;
  std::string raw_received_;
  std::deque<RawFrame> raw_frames_;
  bool raw_eof_ = false;

 private:
  struct IdleTransportHandler : net::TcpConnection::Handler {
    void onReadable() override {}
    void onDrained() override {}
    void onClose(net::TcpConnection::CloseReason) override {}
  } idle_handler_;
  void readRaw();
};

// --- H2Client ------------------------------------------------------------------------------

inline H2Client::H2Client(int fd, uint32_t window) : fd_(fd) {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &H2Client::onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &H2Client::onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &H2Client::onData);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &H2Client::onClose);
  nghttp2_session_client_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  // A large window: the tests measure the server's flow control, not the client's.
  nghttp2_settings_entry entries[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, 1);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(window));
}

inline int32_t H2Client::request(std::string_view method, std::string_view path,
                                 std::vector<std::pair<std::string, std::string>> headers,
                                 std::optional<std::string> body, bool body_ended) {
  std::vector<std::pair<std::string, std::string>> all = {{":method", std::string(method)},
                                                          {":scheme", "http"},
                                                          {":authority", "example.com"},
                                                          {":path", std::string(path)}};
  // A pseudo-field in `headers` replaces the default one (an empty value leaves it out).
  for (auto& [name, value] : headers) {
    if (name.empty() || name[0] != ':') continue;
    std::erase_if(all, [&](const auto& field) { return field.first == name; });
    if (!value.empty()) all.emplace_back(name, value);
  }
  for (auto& [name, value] : headers)
    if (name.empty() || name[0] != ':') all.emplace_back(name, value);
  std::vector<nghttp2_nv> nva;
  for (auto& [n, v] : all)
    nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                   n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  nghttp2_data_provider provider{};
  provider.read_callback = &H2Client::readUpload;
  int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                      body ? &provider : nullptr, nullptr);
  EXPECT_GT(id, 0) << nghttp2_strerror(id);
  if (body) {
    streams_[id].upload = std::move(*body);
    streams_[id].upload_ended = body_ended;
  }
  return id;
}

inline void H2Client::addUpload(int32_t id, std::string_view more, bool end) {
  ClientStream& s = streams_[id];
  s.upload += more;
  s.upload_ended = end;
  nghttp2_session_resume_data(session_, id);
}

inline void H2Client::pump() {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  while (!out_.empty()) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    out_.erase(0, static_cast<size_t>(n));
  }
  if (read_paused || eof) return;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n == 0) eof = true;
    if (n <= 0) return;
    nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buf),
                             static_cast<size_t>(n));
  }
}

inline int H2Client::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                              size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                              void* self) {
  ClientStream& s = static_cast<H2Client*>(self)->streams_[frame->hd.stream_id];
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") {
    s.statuses.push_back(std::stoi(std::string(v)));
  } else if (!s.statuses.empty() && s.statuses.back() >= 200) {
    s.headers.add(n, v);
  }
  return 0;
}

inline int H2Client::onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* arg) {
  auto* self = static_cast<H2Client*>(arg);
  switch (frame->hd.type) {
    case NGHTTP2_GOAWAY:
      ++self->goaways;
      self->goaway_error = frame->goaway.error_code;
      self->goaway_last_stream = frame->goaway.last_stream_id;
      break;
    case NGHTTP2_RST_STREAM:
      self->streams_[frame->hd.stream_id].reset = true;
      break;
    case NGHTTP2_WINDOW_UPDATE:
      if (frame->hd.stream_id != 0) ++self->streams_[frame->hd.stream_id].window_updates;
      break;
    case NGHTTP2_DATA:
      ++self->streams_[frame->hd.stream_id].data_frames;
      break;
    case NGHTTP2_HEADERS:
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
          frame->headers.cat == NGHTTP2_HCAT_RESPONSE)
        self->streams_[frame->hd.stream_id].headers_end_stream = true;
      break;
    default:
      break;
  }
  return 0;
}

inline int H2Client::onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                            void* self) {
  static_cast<H2Client*>(self)->streams_[id].body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

inline int H2Client::onClose(nghttp2_session*, int32_t id, uint32_t code, void* self) {
  ClientStream& s = static_cast<H2Client*>(self)->streams_[id];
  s.closed = true;
  s.error_code = code;
  return 0;
}

inline ssize_t H2Client::readUpload(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                                    uint32_t* flags, nghttp2_data_source*, void* arg) {
  ClientStream& s = static_cast<H2Client*>(arg)->streams_[id];
  size_t n = std::min(length, s.upload.size() - s.uploaded);
  std::memcpy(buf, s.upload.data() + s.uploaded, n);
  s.uploaded += n;
  if (s.uploaded == s.upload.size()) {
    if (s.upload_ended)
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    else if (n == 0)
      return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

// --- the fixture ---------------------------------------------------------------------------

inline void Http2ServerConnectionTest::SetUp() {
  signal(SIGPIPE, SIG_IGN);  // as the server does
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  server_fd_ = fds[0];
  client_fd_ = fds[1];
  evutil_make_socket_nonblocking(client_fd_);
}

inline void Http2ServerConnectionTest::TearDown() {
  client_.reset();
  if (!conn_ && closed_count_ == 0 && server_fd_ >= 0) ::close(server_fd_);  // never started
  conn_.reset();
  if (client_fd_ >= 0) ::close(client_fd_);
  spin(5);  // runs the deferred deletions
}

inline void Http2ServerConnectionTest::start() {
  conn_ = std::make_shared<Http2ServerConnection>(
      loop_, net::TcpConnection::adopt(loop_.base(), server_fd_, idle_handler_),
      ClientInfo{"127.0.0.1", 1, false}, settings_, dispatcher_, ids_, [this](ServerConnection*) {
        ++closed_count_;
        loop_.deferDelete(std::move(conn_));  // the socket closes once the callback returns
      });
  conn_->start();
}

inline bool Http2ServerConnectionTest::runUntil(const std::function<bool()>& pred,
                                                std::chrono::milliseconds timeout) {
  return gatehouse::testing::runUntil(
      loop_.base(),
      [&] {
        if (client_) client_->pump();
        return pred();
      },
      timeout);
}

inline void Http2ServerConnectionTest::spin(int rounds) {
  gatehouse::testing::spin(loop_.base(), rounds, [&] {
    if (client_) client_->pump();
  });
}

inline void Http2ServerConnectionTest::sendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(client_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) {
      event_base_loop(loop_.base(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
      readRaw();
      continue;
    }
    ASSERT_GT(n, 0);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

inline void Http2ServerConnectionTest::readRaw() {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(client_fd_, buf, sizeof buf);
    if (n == 0) raw_eof_ = true;
    if (n <= 0) return;
    raw_received_.append(buf, static_cast<size_t>(n));
  }
}

inline std::optional<RawFrame> Http2ServerConnectionTest::waitRawFrame(uint8_t type) {
  std::optional<RawFrame> found;
  runUntil([&] {
    readRaw();
    for (RawFrame& f : takeFrames(raw_received_))
      raw_frames_.push_back(std::move(f));
    // Frames before the one wanted are dropped; those after it wait for the next call.
    while (!raw_frames_.empty() && !found) {
      if (raw_frames_.front().type == type) found = std::move(raw_frames_.front());
      raw_frames_.pop_front();
    }
    return found.has_value() || raw_eof_;
  });
  return found;
}

inline bool Http2ServerConnectionTest::waitRawEof() {
  return runUntil([&] {
    readRaw();
    raw_received_.clear();
    return raw_eof_;
  });
}

inline ExchangeLog& Http2ServerConnectionTest::waitDispatched(size_t n) {
  EXPECT_TRUE(runUntil([&] { return dispatcher_.logs.size() >= n; }))
      << "dispatched " << dispatcher_.logs.size() << " of " << n;
  if (dispatcher_.logs.size() < n) dispatcher_.logs.resize(n);
  return dispatcher_.logs[n - 1];
}

inline ClientStream& Http2ServerConnectionTest::waitClosed(int32_t id) {
  EXPECT_TRUE(runUntil([&] { return client_->stream(id).closed; })) << "stream " << id;
  return client_->stream(id);
}

}  // namespace gatehouse::http::testsupport
