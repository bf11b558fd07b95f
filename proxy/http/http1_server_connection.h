#pragma once
// One client connection speaking HTTP/1.1 (RFC 9112): parses request heads with Http1Parser,
// opens an Exchange per request, streams the request body to its handler and writes the
// response. Requests on a connection are served one at a time, in order; pipelined requests
// wait in the input buffer (bounded by the read watermark).
//
// Its states, the request's, the response's and the connection's, are three enums whose
// transitions and diagrams are in http1_server_states.h; request bodies are framed by
// Http1BodyReader. In short: a head opens an exchange; once the request is in and the response
// out, the connection waits for the next head (or closes). A 101 turns the exchange into a
// tunnel that ends with the connection. Malformed input is answered with 400/413/414/431, a
// body slower than the minimum rate with 408, and the connection closes, lingering first if
// the client may still be sending. A request gets one response, never two: once it is
// answered, refused input (a body past the discard budget, bad chunks, a trickle) only closes.
// http1_server_connection.cc reads requests and closes; http1_server_connection_output.cc
// writes responses.

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "proxy/base/duration.h"
#include "proxy/base/inline_buffer.h"
#include "proxy/http/body_rate.h"
#include "proxy/http/exchange.h"
#include "proxy/http/http1_body_reader.h"
#include "proxy/http/http1_parser.h"
#include "proxy/http/http1_server_states.h"
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
  // A kept-alive connection idle this long is parked (Http1Parking), if its owner parks; 0: never.
  Duration client_park{0};
  BodyRateLimit body_rate;  // timeouts.client_body, limits.min_body_rate
};

class Http1ServerConnection;

// Where a kept-alive connection idle for client_park goes to shrink (the worker): it takes the
// socket, with its TLS session, and keeps only that, the client's address and a timer of the
// idle time left, until the client speaks again (then a new Http1ServerConnection resumes it)
// or the time is up. An idle connection's buffers, events and exchange state are worth ~2 KiB;
// a parked one costs a few hundred bytes. Nothing of a connection outlives its requests but the
// client's address and the transport, so parking changes nothing the client can see.
class Http1Parking {
 public:
  virtual ~Http1Parking() = default;
  // `conn` hands over; it is destroyed after the current callback.
  virtual void park(Http1ServerConnection& conn, net::IdleSocket socket, const ClientInfo& client,
                    Duration idle_left) = 0;
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
  // Parks after client_park of keep-alive idleness, from the next response on.
  void setParking(Http1Parking& parking) { parking_ = &parking; }
  // In place of start(), for a parked connection the client woke: kept alive and idle, with
  // `idle_left` of client_idle to go.
  void resume(Duration idle_left);
  // Graceful stop: an idle connection closes now; a busy one after its current response.
  void beginShutdown() override;
  bool idle() const { return !exchange_; }

  // Downstream
  void sendHead(const ResponseHead& head) override;
  void sendInterim(const ResponseHead& head) override;
  void sendBody(evbuffer* data) override;
  void sendBodyBytes(std::string_view bytes) override;
  void sendWhole(const ResponseHead& head, std::string_view body) override;
  void sendEnd() override;
  void sendTrailers(const HeaderMap& trailers) override;
  bool canSendFile() const override { return !conn_->tls() || conn_->kernelTlsSend(); }
  size_t pendingOutput() const override;
  void pauseRequestBody() override;
  void resumeRequestBody() override;
  void abort() override;

 private:
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

  // Header: client_header; Idle: client_idle between requests (Park: its first client_park,
  // after which the connection parks); Body: a window of the body rate while the body is wanted
  // or dropped; Linger: the lingering close.
  enum class TimerMode { None, Idle, Park, Header, Body, Linger };
  // What the current exchange's heads said, fixed as they are read and written.
  struct ExchangeFacts {
    // How sendBody() frames: not at all (HEAD, 204, 304), as is (a length, a close-delimited
    // body, a tunnel), or in chunks.
    enum class ResponseBody : uint8_t { None, Raw, Chunked };
    bool head_request = false;
    bool request_keep_alive = true;  // what the client's version and Connection field ask for
    bool expect_continue = false;    // a body follows, announced by Expect: 100-continue
    // The connection outlives this exchange: decided with the response head, cleared when
    // input is refused.
    bool keep_alive = true;
    ResponseBody response_body = ResponseBody::Raw;
  };

  // Decides the response's framing and connection fate; its framing fields go to `extra`.
  void startResponse(const ResponseHead& head, InlineBuffer<128>& extra);

  // net::TcpConnection::Handler
  void onReadable() override { process(); }
  void onDrained() override;
  void onClose(net::TcpConnection::CloseReason reason) override;
  static void onProcess(evutil_socket_t, short, void* self);

  void process();
  void readHead();
  void readBody();
  void discardBody();
  void startDiscarding(RequestState before);
  void stopDiscarding();
  void startExchange(const RequestHeadView& view);
  // The current exchange is done: its handler goes after this callback, and the exchange back
  // to the thread's pool (exchange_pool.h) for the next request.
  void retireExchange();
  void takeRequestTrailers();
  void finishRequestBody();
  void maybeFinishExchange();
  void completeExchange(bool aborted);
  void reject(int status, std::string_view why);
  void closeAfterFlush();
  void logRejected(int status, size_t bytes);
  void closeNow();
  void onTimer();
  void armIdleTimer();
  void park();
  void onBodyWindowEnded();
  void armTimer(TimerMode mode, Duration after);
  void stopBodyTimer();
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
  Http1Parking* parking_ = nullptr;
  Http1Parser& parser_;          // the worker's: heads are copied out at once, so one serves all
  net::EvbufferPtr body_chunk_;  // reused to hand body bytes to the handler
  HeaderMap response_trailers_;

  std::unique_ptr<Exchange> exchange_;
  Http1BodyReader request_body_;  // the request's body, or after a 101 the tunnel's bytes
  BodyRate body_rate_;            // the request body's pace, judged window by window
  uint64_t discarded_bytes_ = 0;  // read and dropped since the response ended first
  ExchangeFacts facts_;
  RequestState request_ = RequestState::Idle;
  ResponseState response_ = ResponseState::None;
  ConnectionState state_ = ConnectionState::Open;
  bool client_eof_ = false;  // the client's FIN arrived: a fact of the transport, not our state
};

}  // namespace gatehouse::http
