#pragma once
// One client connection speaking HTTP/1.1 (RFC 9112): parses request heads with Http1Parser,
// opens an Exchange per request, streams the request body to its handler and writes the
// response. Requests on a connection are served one at a time, in order; pipelined requests
// wait in the input buffer (bounded by the read watermark).
//
// Connection states (one exchange at a time):
//   Idle --bytes--> ReadingHead --head--> Exchanging --request & response done--> Idle
//   Exchanging --101--> Tunnel --either side closes--> Closing
//   any --error/timeout/shutdown--> Closing --flushed--> Lingering --EOF/2s--> closed
// Malformed input is answered with 400/413/414/431 and the connection closes.

#include <functional>
#include <memory>

#include "proxy/base/duration.h"
#include "proxy/base/inline_buffer.h"
#include "proxy/http/chunked_decoder.h"
#include "proxy/http/exchange.h"
#include "proxy/http/http1_parser.h"
#include "proxy/http/request_id.h"
#include "proxy/http/server_connection.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/net/timer.h"

namespace gatehouse::http {

struct Http1Settings {
  ParseLimits limits;
  uint64_t max_body = 100ull << 20;
  Duration client_header{10000};
  Duration client_idle{60000};
};

class Http1ServerConnection final : public ServerConnection,
                                    public Downstream,
                                    private net::TcpConnection::Handler {
 public:
  using OnClosed = std::function<void(Http1ServerConnection*)>;

  Http1ServerConnection(net::EventLoop& loop, evutil_socket_t fd, ClientInfo client,
                        const Http1Settings& settings, Http1Parser& parser,
                        ExchangeDispatcher& dispatcher, RequestIdGenerator& ids,
                        OnClosed on_closed);
  // Takes over a connection that is already set up (a finished TLS handshake).
  Http1ServerConnection(net::EventLoop& loop, std::unique_ptr<net::TcpConnection> conn,
                        ClientInfo client, const Http1Settings& settings, Http1Parser& parser,
                        ExchangeDispatcher& dispatcher, RequestIdGenerator& ids,
                        OnClosed on_closed);
  ~Http1ServerConnection() override;

  void start() override;
  // Graceful stop: an idle connection closes now; a busy one after its current response.
  void beginShutdown() override;
  bool idle() const { return !exchange_; }

  // Downstream
  void sendHead(const ResponseHead& head) override;
  void sendBody(evbuffer* data) override;
  void sendBodyBytes(std::string_view bytes) override;
  void sendWhole(const ResponseHead& head, std::string_view body) override;
  void sendEnd() override;
  void sendTrailers(const HeaderMap& trailers) override;
  bool canSendFile() const override { return !conn_->tls(); }
  size_t pendingOutput() const override;
  void pauseRequestBody() override;
  void resumeRequestBody() override;
  void abort() override;

 private:
  // Decides the response's framing and connection fate; its framing fields go to `extra`.
  void startResponse(const ResponseHead& head, InlineBuffer<128>& extra);
  enum class TimerMode { None, Idle, Header, Linger };
  enum class BodyFraming { None, Length, Chunked, Tunnel };

  // net::TcpConnection::Handler
  void onReadable() override { process(); }
  void onDrained() override;
  void onClose(net::TcpConnection::CloseReason reason) override;
  static void onProcess(evutil_socket_t, short, void* self);

  void process();
  void readHead();
  void readBody();
  void startExchange(const RequestHeadView& view);
  void finishRequestBody();
  void maybeFinishExchange();
  void completeExchange(bool aborted);
  void reject(int status, std::string_view why);
  void closeAfterFlush();
  void logRejected(int status, size_t bytes);
  void closeNow();
  void onTimer();
  void armTimer(TimerMode mode, Duration after);
  void scheduleProcess();

  net::EventLoop& loop_;
  std::unique_ptr<net::TcpConnection> conn_;
  net::EventPtr process_event_;
  net::Timer timer_;
  TimerMode timer_mode_ = TimerMode::None;
  ClientInfo client_;
  const Http1Settings& settings_;
  ExchangeDispatcher& dispatcher_;
  RequestIdGenerator& ids_;
  OnClosed on_closed_;
  Http1Parser& parser_;          // the worker's: heads are copied out at once, so one serves all
  net::EvbufferPtr body_chunk_;  // reused to hand body bytes to the handler
  HeaderMap response_trailers_;

  std::unique_ptr<Exchange> exchange_;
  BodyFraming framing_ = BodyFraming::None;
  uint64_t body_remaining_ = 0;  // Length framing
  uint64_t body_received_ = 0;
  std::unique_ptr<ChunkedDecoder> chunked_;
  bool request_keep_alive_ = true;
  bool expect_continue_ = false;
  bool is_head_request_ = false;
  bool body_wanted_ = false;
  bool continue_sent_ = false;
  bool request_done_ = true;  // no request is being received
  bool response_started_ = false;
  bool response_done_ = false;
  bool response_chunked_ = false;
  bool response_body_allowed_ = true;
  bool keep_alive_ = true;        // decided when the response head goes out
  bool discarding_body_ = false;  // the response is done; the rest of the request is dropped
  bool client_eof_ = false;
  bool shutting_down_ = false;
  bool closing_ = false;  // no more input is processed; close once output is flushed
  bool lingering_ = false;
  bool linger_needed_ = false;  // we refused input the client may still be sending
  bool closed_ = false;
};

}  // namespace gatehouse::http
