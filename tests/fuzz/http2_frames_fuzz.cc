// Fuzzes Http2ServerConnection with arbitrary bytes after the client preface: the real codec,
// nghttp2 and transport on one loop over a socketpair, and a dispatcher whose handlers answer
// in the ways the pipeline does, chosen by the request path: at once, streamed with
// backpressure, after reading the body, by aborting, with an error page, never, or with an
// impossible 101. Then the client goes away. Checked: every dispatched exchange completes
// exactly once, no handler hears anything after that, and the connection reports itself
// closed exactly once.
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/http/http2_server_connection.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gatehouse;
using namespace gatehouse::http;

constexpr size_t kMaxInput = 256 * 1024;
constexpr int kRounds = 200;

enum class Behaviour { Respond, Stream, Echo, Abort, Hang, Error, NoContent, Switch, kCount };

class FuzzHandler : public Handler {
 public:
  FuzzHandler(Exchange& exchange, Behaviour behaviour) : ex_(exchange), behaviour_(behaviour) {}
  void start() {
    switch (behaviour_) {
      case Behaviour::Respond:
        respond("hello");
        break;
      case Behaviour::Stream: {
        ResponseHead head;
        head.content_length = left_;
        ex_.respondHead(head);
        pump();
        break;
      }
      case Behaviour::Echo:
        ex_.resumeRequestBody();
        break;
      case Behaviour::Abort:
        ex_.abort();
        break;
      case Behaviour::Hang:
        break;
      case Behaviour::Error:
        ex_.respondError(502, "fuzz");
        break;
      case Behaviour::NoContent: {
        ResponseHead head;
        head.status = 204;
        head.has_body = false;
        ex_.respondHead(head);
        ex_.respondEnd();
        break;
      }
      case Behaviour::Switch: {
        ResponseHead head;
        head.status = 101;
        ex_.respondHead(head);
        break;
      }
      case Behaviour::kCount:
        break;
    }
  }
  void complete() {
    FUZZ_CHECK(!completed_);
    completed_ = true;
  }

  void onRequestBody(evbuffer* data) override {
    FUZZ_CHECK(!completed_ && !reset_);
    received_ += evbuffer_get_length(data);
    evbuffer_drain(data, evbuffer_get_length(data));
    if (received_ % 3 == 0) {  // a backend that stalls for a moment
      ex_.pauseRequestBody();
      ex_.resumeRequestBody();
    }
  }
  void onRequestEnd() override {
    FUZZ_CHECK(!completed_ && !reset_ && !ended_);
    ended_ = true;
    if (behaviour_ == Behaviour::Echo && !ex_.headSent())
      respond(std::to_string(received_) + " bytes");
  }
  void onDownstreamDrained() override {
    FUZZ_CHECK(!completed_ && !reset_);
    if (behaviour_ == Behaviour::Stream) pump();
  }
  void onDownstreamReset() override {
    FUZZ_CHECK(!completed_ && !reset_);
    reset_ = true;
  }

 private:
  void respond(std::string_view body) {
    ResponseHead head;
    head.content_length = body.size();
    ex_.respondHead(head);
    send(body);
    ex_.respondEnd();
  }
  void send(std::string_view bytes) {
    net::EvbufferPtr buf = net::makeEvbuffer();
    evbuffer_add(buf.get(), bytes.data(), bytes.size());
    ex_.respondBody(buf.get());
  }
  void pump() {
    static const std::string chunk(16384, 'z');
    while (left_ > 0 && !ex_.downstreamFull()) {
      size_t n = std::min(left_, chunk.size());
      send(std::string_view(chunk).substr(0, n));
      left_ -= n;
      if (left_ == 0) ex_.respondEnd();
    }
  }

  Exchange& ex_;
  Behaviour behaviour_;
  size_t left_ = 300 * 1024;
  size_t received_ = 0;
  bool ended_ = false;
  bool reset_ = false;
  bool completed_ = false;
};

class FuzzDispatcher : public ExchangeDispatcher {
 public:
  int in_flight = 0;
  void dispatch(Exchange& exchange) override {
    size_t h = fuzz::hashOf(exchange.request().target);
    auto behaviour = static_cast<Behaviour>(h % static_cast<size_t>(Behaviour::kCount));
    auto handler = std::make_unique<FuzzHandler>(exchange, behaviour);
    FuzzHandler* raw = handler.get();
    exchange.setHandler(std::move(handler));
    ++in_flight;
    raw->start();
  }
  void onComplete(const Exchange& exchange) override {
    if (!exchange.handler()) return;  // answered by the codec itself: only a log line
    static_cast<FuzzHandler*>(exchange.handler())->complete();
    --in_flight;
  }
};

struct NoTransportEvents : net::TcpConnection::Handler {
  void onReadable() override {}
  void onDrained() override {}
  void onClose(net::TcpConnection::CloseReason) override {}
};

void drain(int fd) {
  char buf[65536];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  static const bool sigpipe_ignored = (signal(SIGPIPE, SIG_IGN), true);
  (void)sigpipe_ignored;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return 0;
  const int client = fds[1];
  evutil_make_socket_nonblocking(client);

  net::EventLoop loop;
  Http2Settings settings;
  settings.max_body = 64 * 1024;  // small limits, so the limit paths are reached
  settings.max_header_list_size = 4096;
  settings.initial_window_size = 32 * 1024;
  FuzzDispatcher dispatcher;
  RequestIdGenerator ids;
  NoTransportEvents no_events;
  int closed = 0;
  std::shared_ptr<Http2ServerConnection> conn;
  conn = std::make_shared<Http2ServerConnection>(
      loop, net::TcpConnection::adopt(loop.base(), fds[0], no_events),
      ClientInfo{"127.0.0.1", 1, false}, settings, dispatcher, ids, [&](ServerConnection*) {
        ++closed;
        loop.deferDelete(std::move(conn));
      });
  conn->start();

  auto round = [&] {
    event_base_loop(loop.base(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
    drain(client);
  };
  std::string input(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
  input.append(reinterpret_cast<const char*>(data), size);
  std::string_view rest = input;
  for (int i = 0; i < kRounds && !rest.empty() && closed == 0; ++i) {
    ssize_t n = ::send(client, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n > 0) rest.remove_prefix(static_cast<size_t>(n));
    round();
  }
  for (int i = 0; i < kRounds && closed == 0; ++i)
    round();
  ::close(client);  // the client goes away: every stream still open must be reset
  for (int i = 0; i < kRounds && closed == 0; ++i)
    event_base_loop(loop.base(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
  FUZZ_CHECK(closed == 1);
  FUZZ_CHECK(dispatcher.in_flight == 0);
  event_base_loop(loop.base(), EVLOOP_ONCE | EVLOOP_NONBLOCK);  // deferred deletions
  return 0;
}
