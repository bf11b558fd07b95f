#pragma once
// One HTTP/1.1 connection to a backend server: connects, writes a request (head, body with
// the framing we choose, never the client's), parses the response with the same strict parser
// as requests and streams it to its user. Between requests it rests in the ConnectionPool.
//
//   Connecting --connected--> Ready --request--> Busy --response end--> Ready (pooled)
//   Busy --101--> Tunnel;  any --error/timeout/close--> Broken (never reused)

#include <atomic>
#include <cstdint>
#include <memory>

#include "health/server.h"
#include "proxy/base/duration.h"
#include "proxy/http/http1_body_reader.h"
#include "proxy/http/http1_parser.h"
#include "proxy/http/message.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/net/timer.h"
#include "proxy/upstream/backend_connector.h"
#include "proxy/upstream/backend_response_head.h"

namespace gatehouse::upstream {

enum class BackendFailure {
  ConnectFailed,         // refused, unreachable
  ConnectTimeout,        // backend_connect elapsed
  ResponseTimeout,       // backend_response elapsed with nothing read
  BadResponse,           // unparseable or smuggling-prone response
  ClosedBeforeResponse,  // closed (or reset) before a response head
  ClosedMidResponse,     // closed before the response's declared end
  // The response stayed paused (the client did not take it) for backend_response: not the
  // server's fault, so never a passive health failure.
  DownstreamStalled,
};
std::string_view describe(BackendFailure f);

class BackendConnection final : private net::TcpConnection::Handler {
 public:
  class User {
   public:
    virtual ~User() = default;
    virtual void onConnected() = 0;
    virtual void onResponseHead(http::ResponseHead& head) = 0;
    virtual void onResponseBody(evbuffer* data) = 0;  // drains data
    virtual void onResponseEnd() = 0;
    // Trailer fields of a chunked response, just before onResponseEnd().
    virtual void onResponseTrailers(http::HeaderMap& /*trailers*/) {}
    // An interim response (1xx other than 100 and 101) before the final head.
    virtual void onInterimResponse(http::ResponseHead& /*head*/) {}
    virtual void onRequestDrained() = 0;  // the request output fell below the low watermark
    virtual void onFailure(BackendFailure failure) = 0;
  };

  struct Timeouts {
    Duration connect{3000};
    Duration response{60000};
    Duration idle{60000};               // timeouts.backend_idle: parked in the pool
    Duration tunnel_idle{3600 * 1000};  // timeouts.tunnel_idle: no byte either way in a tunnel
  };

  // Starts a non-blocking connect through `connector` (a test's may hand out a socketpair);
  // the user hears onConnected() or onFailure().
  static std::unique_ptr<BackendConnection> connect(
      net::EventLoop& loop, health::Server& server, const Timeouts& timeouts, User& user,
      BackendConnector& connector = BackendConnector::tcp());
  ~BackendConnection() override;

  health::Server& server() const { return server_; }
  bool reused() const { return requests_ > 0; }
  uint64_t generation() const { return generation_; }
  void setGeneration(uint64_t generation) { generation_ = generation; }

  // The fields of the response head last given to onResponseHead(), when that head carried
  // them as field lines (head.preformatted, borrowed from here until the next response); null
  // when they were in head.headers.
  ResponseFieldLines* responseFieldLines() { return lines_in_head_ ? &response_fields_ : nullptr; }

  // Gives a pooled connection to a new user.
  void attach(User& user, const Timeouts& timeouts);
  // Writes the request head. The body framing follows head.content_length / head.has_body:
  // a known length goes out as Content-Length, an unknown one chunked.
  void sendRequestHead(const http::RequestHead& head);
  void sendBody(evbuffer* data);  // drains data
  // Ends the request body; a chunked one carries `trailers` if given.
  void sendEnd(const http::HeaderMap* trailers = nullptr);
  size_t pendingOutput() const;
  // Stops reading the response (the client is behind). The pause keeps a deadline: paused for
  // backend_response, the user hears onFailure(DownstreamStalled) and the connection is done.
  void pauseResponse();
  void resumeResponse();
  // True when the last exchange ended cleanly on both sides and the server keeps the
  // connection: it may go back to the pool.
  bool reusable() const;
  // Pooled and idle: any byte or close from the server now means the connection is dead.
  void parkIdle(std::function<void()> on_dead);
  // Stops all callbacks and frees the connection after the current callback has returned.
  static void retire(std::unique_ptr<BackendConnection> conn);

  // Paused responses given up after backend_response, process-wide
  // (gatehouse_backend_paused_timeouts_total).
  static std::atomic<uint64_t> paused_timeouts_total;
  // Pooled connections closed by backend_idle (gatehouse_backend_idle_timeouts_total) and
  // tunnels closed by tunnel_idle (gatehouse_tunnel_idle_timeouts_total), process-wide.
  static std::atomic<uint64_t> idle_timeouts_total;
  static std::atomic<uint64_t> tunnel_idle_timeouts_total;

 private:
  enum class State { Connecting, Ready, Busy, Tunnel, Idle, Broken };

  BackendConnection(net::EventLoop& loop, health::Server& server, User& user);
  // net::TcpConnection::Handler
  void onReadable() override { readResponse(); }
  void onDrained() override;
  void onConnected() override;
  void onClose(net::TcpConnection::CloseReason reason) override;
  void readResponse();
  void notifyIdleDead();  // an idle connection died: tell the pool, once
  bool readHead();
  void readBody();
  void endResponse();
  void fail(BackendFailure failure);
  void onPausedTooLong();
  void stopPausedTimer();

  net::EventLoop& loop_;
  health::Server& server_;
  // Keeps server_ alive while this connection exists (also idle in a ConnectionPool, which
  // keys by the server's address) even if a reload dropped it; empty for a server not owned
  // by a shared_ptr (tests).
  std::shared_ptr<health::Server> server_owner_;
  User* user_;
  std::unique_ptr<net::TcpConnection> conn_;
  net::EvbufferPtr body_chunk_;
  net::Timer paused_timer_;  // armed while the response is paused (see pauseResponse)
  bool paused_timer_on_ = false;
  Timeouts timeouts_;
  State state_ = State::Connecting;
  std::string request_method_;
  bool request_upgrade_ = false;
  bool request_chunked_ = false;
  bool request_done_ = false;
  bool head_received_ = false;
  bool response_keep_alive_ = false;
  bool response_done_ = false;
  ResponseFieldLines response_fields_;  // the last final head's fields, reused
  bool lines_in_head_ = false;          // ... and that head borrowed them
  http::Http1BodyReader body_;          // the response's (or, in a Tunnel, the backend's bytes)
  uint64_t requests_ = 0;
  uint64_t generation_ = 0;             // the ConnectionPool generation it belongs to
  std::function<void()> on_idle_dead_;  // called once, by notifyIdleDead()
};

}  // namespace gatehouse::upstream
