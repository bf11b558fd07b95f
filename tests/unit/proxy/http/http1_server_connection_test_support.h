#pragma once
// Shared by the Http1ServerConnection component tests: the real codec and transport on one
// in-process loop, the client end of a socketpair driven with raw bytes, and a scriptable
// dispatcher whose handlers record what the codec tells them. Every wait runs the loop in
// bounded rounds against a deadline; nothing sleeps.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/exchange.h"
#include "proxy/http/http1_parser.h"
#include "proxy/http/http1_server_connection.h"
#include "proxy/http/request_id.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/libevent_ptr.h"
#include "tests/support/loop_runner.h"

namespace gatehouse::http::testsupport {

using namespace std::chrono_literals;

// What one exchange showed its handler. Outlives the exchange, which the codec deletes.
struct ExchangeLog {
  Exchange* exchange = nullptr;  // null once the codec completed it
  RequestHead request;           // a copy, taken at dispatch
  std::string body;
  bool request_end = false;
  bool reset = false;
  int drained = 0;
  bool completed = false;
  int handler_destroyed = 0;  // times its FakeHandler was destroyed
  ExchangeRecord record;      // as onComplete saw it
};

class FakeDispatcher;

class FakeHandler : public Handler {
 public:
  FakeHandler(FakeDispatcher& dispatcher, ExchangeLog& log) : dispatcher_(dispatcher), log_(log) {}
  ~FakeHandler() override { ++log_.handler_destroyed; }
  ExchangeLog& log() { return log_; }
  void onRequestBody(evbuffer* data) override;
  void onRequestEnd() override;
  void onDownstreamDrained() override;
  void onDownstreamReset() override { log_.reset = true; }

 private:
  FakeDispatcher& dispatcher_;
  ExchangeLog& log_;
};

// Gives every exchange a FakeHandler, then runs the test's scripts from inside the codec's
// callbacks. Scripts left empty do nothing: the test drives the exchange from outside.
class FakeDispatcher : public ExchangeDispatcher {
 public:
  using Script = std::function<void(ExchangeLog&)>;
  Script on_dispatch, on_body, on_request_end, on_drained;
  // When it returns true the handler takes none of a delivery: it pauses and leaves the bytes
  // with the codec, as UpstreamHandler does between a failed attempt and the next one.
  std::function<bool(ExchangeLog&)> leave_body;
  std::deque<ExchangeLog> logs;          // a deque: references stay valid as it grows
  std::vector<ExchangeRecord> rejected;  // completed without dispatch (a bad head)
  int in_flight = 0;
  int max_in_flight = 0;

  void dispatch(Exchange& exchange) override {
    ExchangeLog& log = logs.emplace_back();
    log.exchange = &exchange;
    log.request = exchange.request();
    exchange.setHandler(std::make_unique<FakeHandler>(*this, log));
    max_in_flight = std::max(max_in_flight, ++in_flight);
    if (on_dispatch) on_dispatch(log);
  }
  void onComplete(const Exchange& exchange) override {
    if (!exchange.handler()) {  // refused before dispatch: only its access-log line
      rejected.push_back(exchange.record());
      return;
    }
    ExchangeLog& log = static_cast<FakeHandler*>(exchange.handler())->log();
    log.completed = true;
    log.record = exchange.record();
    log.exchange = nullptr;
    --in_flight;
  }
};

inline void FakeHandler::onRequestBody(evbuffer* data) {
  if (dispatcher_.leave_body && dispatcher_.leave_body(log_)) {
    log_.exchange->pauseRequestBody();
    return;
  }
  size_t n = evbuffer_get_length(data);
  size_t old = log_.body.size();
  log_.body.resize(old + n);
  evbuffer_remove(data, log_.body.data() + old, n);
  if (dispatcher_.on_body) dispatcher_.on_body(log_);
}
inline void FakeHandler::onRequestEnd() {
  log_.request_end = true;
  if (dispatcher_.on_request_end) dispatcher_.on_request_end(log_);
}
inline void FakeHandler::onDownstreamDrained() {
  ++log_.drained;
  if (dispatcher_.on_drained) dispatcher_.on_drained(log_);
}

// --- what handlers send ----------------------------------------------------------------------

inline ResponseHead responseHead(int status, std::optional<uint64_t> length) {
  ResponseHead head;
  head.status = status;
  head.content_length = length;
  return head;
}
inline void sendBody(Exchange& exchange, std::string_view bytes) {
  net::EvbufferPtr buf = net::makeEvbuffer();
  evbuffer_add(buf.get(), bytes.data(), bytes.size());
  exchange.respondBody(buf.get());
}
// A whole response with Content-Length. The exchange may be gone when this returns.
inline void respond(Exchange& exchange, int status, std::string_view body) {
  exchange.respondHead(responseHead(status, body.size()));
  sendBody(exchange, body);
  exchange.respondEnd();
}
// A whole response of unknown length (chunked, or close-delimited for HTTP/1.0).
inline void respondStreamed(Exchange& exchange, std::string_view part1, std::string_view part2) {
  exchange.respondHead(responseHead(200, std::nullopt));
  sendBody(exchange, part1);
  sendBody(exchange, part2);
  exchange.respondEnd();
}

inline std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

// One response as the client read it.
struct ClientResponse {
  int status = 0;
  std::string head;  // status line and fields, final CRLF included
  std::string body;  // decoded
};

// --- the fixture -----------------------------------------------------------------------------

class Http1ServerConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // as the server does
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_fd_ = fds[0];
    client_ = fds[1];
    evutil_make_socket_nonblocking(client_);
  }
  void TearDown() override {
    if (!conn_ && server_fd_ >= 0) ::close(server_fd_);  // never started
    if (client_ >= 0) ::close(client_);
  }

  // Settings are read by reference: change settings_ before start().
  void start() {
    conn_ = std::make_shared<Http1ServerConnection>(
        loop_, server_fd_, ClientInfo{"127.0.0.1", 1, false}, settings_, parser_, dispatcher_, ids_,
        [this](Http1ServerConnection*) {
          ++closed_count_;
          loop_.deferDelete(std::move(conn_));  // the socket closes once the callback returns
        });
    conn_->start();
  }

  bool runUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
    return gatehouse::testing::runUntil(loop_.base(), pred, timeout);
  }
  void spin(int rounds = 50) { gatehouse::testing::spin(loop_.base(), rounds); }

  // Small writes: the socket buffer takes them whole.
  void send(std::string_view bytes) {
    ASSERT_EQ(::write(client_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Writes what the socket takes of `rest` and drops it from the front; returns bytes written.
  size_t sendSome(std::string_view& rest) {
    size_t total = 0;
    while (!rest.empty()) {
      ssize_t n = ::write(client_, rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<size_t>(n));
      total += static_cast<size_t>(n);
    }
    return total;
  }
  // Appends what the client end can read to received_; sets client_eof_ at end of stream.
  void readClient() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(client_, buf, sizeof buf);
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) client_eof_ = true;
      return;
    }
  }
  bool waitForEof(std::chrono::milliseconds timeout = 5s) {
    return runUntil(
        [&] {
          readClient();
          return client_eof_;
        },
        timeout);
  }
  // Waits until received_ holds at least n bytes (or EOF), then takes the first n.
  std::string receiveExactly(size_t n) {
    runUntil([&] {
      readClient();
      return received_.size() >= n || client_eof_;
    });
    std::string out = received_.substr(0, n);
    received_.erase(0, out.size());
    return out;
  }

  // Takes one complete response off the front of received_, if one is there.
  std::optional<ClientResponse> takeResponse(std::string_view method) {
    Http1Parser parser;
    auto parsed = parser.parseResponse(received_, method);
    if (parsed.state == ParseState::Error) {
      ADD_FAILURE() << "bad response: " << describe(parsed.error) << " in " << received_;
      received_.clear();
      return ClientResponse{};
    }
    if (parsed.state == ParseState::Incomplete) return std::nullopt;
    const size_t head_length = parsed.head.head_length;
    ClientResponse r{parsed.head.status, received_.substr(0, head_length), {}};
    size_t consumed = head_length;
    switch (parsed.head.framing) {
      case BodyFraming::None:
        break;
      case BodyFraming::ContentLength:
        if (received_.size() < head_length + parsed.head.content_length) return std::nullopt;
        r.body = received_.substr(head_length, parsed.head.content_length);
        consumed += r.body.size();
        break;
      case BodyFraming::Chunked: {
        ChunkedDecoder decoder;
        std::string_view rest = std::string_view(received_).substr(head_length);
        while (!decoder.done() && !rest.empty()) {
          auto step = decoder.decode(rest);
          if (step.error != ParseError::None) {
            ADD_FAILURE() << "bad chunked body: " << describe(step.error);
            return ClientResponse{};
          }
          r.body.append(step.data);
          rest.remove_prefix(step.consumed);
          consumed += step.consumed;
        }
        if (!decoder.done()) return std::nullopt;
        break;
      }
      case BodyFraming::UntilClose:
        if (!client_eof_) return std::nullopt;
        r.body = received_.substr(head_length);
        consumed = received_.size();
        break;
    }
    received_.erase(0, consumed);
    return r;
  }
  // Reads until a whole response arrived; status 0 if none did in time.
  ClientResponse waitResponse(std::string_view method = "GET") {
    std::optional<ClientResponse> r;
    runUntil([&] {
      readClient();
      r = takeResponse(method);
      return r.has_value() || client_eof_;
    });
    if (!r && client_eof_) r = takeResponse(method);
    return r.value_or(ClientResponse{});
  }

  net::EventLoop loop_;
  Http1Settings settings_;
  Http1Parser parser_{settings_.limits};
  RequestIdGenerator ids_;
  FakeDispatcher dispatcher_;
  std::shared_ptr<Http1ServerConnection> conn_;  // null once closed (moved to deferred deletion)
  int closed_count_ = 0;
  int server_fd_ = -1;
  int client_ = -1;
  std::string received_;
  bool client_eof_ = false;
};

}  // namespace gatehouse::http::testsupport
