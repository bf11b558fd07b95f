#pragma once
// Serves an exchange from a backend pool: picks a server, borrows or opens a connection,
// streams the request and the response with backpressure both ways, and retries on another
// server when that cannot go wrong:
//   - the connect failed (nothing was sent), up to the pool's `retries`;
//   - a reused keep-alive connection closed before answering (the classic keep-alive race),
//     once, for idempotent requests whose body was not yet read.
// Failures become 502 (refused, invalid response), 503 (no server available) or 504 (timeout).
//
// No server available (all down, draining or in maintenance) or the pool paused: with the
// pool's `hold`, the request waits in the worker's HoldQueue (at most `hold_max` per pool)
// until a server is available or the hold runs out; then, or at once without a hold, it goes
// to unavailable(): the interceptor's onBackendError() (the cache's stale copy), else 503.
//
// Above limits.memory (base/memory_budget.h) the handler stops reading: the response from the
// backend (ResponsePaused, as when the client is full) and the request body from the client,
// until the loop's MemoryWaiters wake it with memory to spare.
//
// Passive checks: connect failures, response timeouts and 5xx answers are reported to the
// server (Server::recordFailure), which ejects it after `health.passive.fall` in a row.
//
// Where an exchange stands is one State (the diagram is above `State` below); every end goes
// through finish(), the one teardown. Unit tests drive it over socketpairs
// (tests/unit/proxy/upstream/upstream_handler*_test.cc).

#include <chrono>
#include <functional>
#include <memory>

#include "proxy/base/inline_vector.h"
#include "proxy/base/recycled.h"
#include "proxy/gate/backend_admission.h"
#include "proxy/http/exchange.h"
#include "proxy/upstream/backend_connection.h"
#include "proxy/upstream/backend_pool.h"
#include "proxy/upstream/connection_pool.h"
#include "proxy/upstream/hold_queue.h"
#include "proxy/upstream/response_interceptor.h"
#include "proxy/upstream/upstream.h"

namespace gatehouse::upstream {

// One per proxied request: its memory comes back from the worker's thread list (recycled.h)
// rather than from the allocator.
class UpstreamHandler final : public Upstream,
                              public Recycled<UpstreamHandler>,
                              private BackendConnection::User,
                              private HoldQueue::Waiter {
 public:
  // `owner` keeps `pool` alive for as long as this exchange runs (across reloads).
  // `admission` (outliving this handler) is asked just before the request reaches a backend.
  // `interceptor` (optional, outliving this handler) sees the response on its way (the cache).
  UpstreamHandler(http::Exchange& exchange, BackendPool& pool, std::shared_ptr<const void> owner,
                  ConnectionPool& connections, net::EventLoop& loop,
                  const BackendConnection::Timeouts& timeouts,
                  const gate::BackendAdmission& admission,
                  ResponseInterceptor* interceptor = nullptr);
  ~UpstreamHandler() override;

  void start() override;
  bool canContinueWithout() const override;
  void continueWithout(http::Exchange& replacement, ResponseInterceptor* interceptor) override;

  // http::Handler
  void onRequestBody(evbuffer* data) override;
  void onRequestEnd() override;
  void onDownstreamDrained() override;
  void onDownstreamReset() override;

 private:
  // Where the exchange stands with its backend. The state follows the response side; the
  // request side is two facts (body_started_, request_ended_), because a backend may answer
  // before the client's body has ended, so the two sides overlap.
  //
  //   Picking --pooled connection, head sent------------------------> AwaitingResponse
  //   Picking --new connection--> Connecting --connected, head sent--> AwaitingResponse
  //   Picking --no server, hold--> Held --woken, a server is available--> Picking
  //   Connecting, AwaitingResponse --failed, safe to retry--> Picking
  //   AwaitingResponse --head forwarded--> StreamingResponse --client full, or memory over
  //                                        limits.memory--> ResponsePaused
  //                                        StreamingResponse <--client drained and memory
  //                                        under the limit-- ResponsePaused
  //   AwaitingResponse --the interceptor answered--> DroppingResponse
  //   any --response end, error, blocked, unavailable, client reset--> Done   (finish())
  //
  // Between callbacks, conn_ is set exactly in Connecting, AwaitingResponse, StreamingResponse,
  // ResponsePaused and DroppingResponse, and the request is in the HoldQueue exactly in Held.
  enum class State : uint8_t {
    Picking,            // choosing a server: at start and between attempts
    Held,               // waiting in the HoldQueue for a server
    Connecting,         // conn_ is a new connection, not yet connected; nothing sent
    AwaitingResponse,   // the request head went out on conn_; no response head yet
    StreamingResponse,  // the response head went to the client; its body follows
    ResponsePaused,     // ... and conn_ stopped reading: the client is full, or memory is over
    DroppingResponse,   // the interceptor answered the client; the body is read and dropped
    Done,               // nothing more goes to the backend or comes from it
  };
  // The transitions drawn above. Done may be entered from anywhere, again too.
  static bool allowed(State from, State to);
  // The one place state_ changes; asserts (in debug builds) that the move is drawn above.
  void become(State next);
  // The request head went to the backend on conn_: its body and end may follow.
  bool requestHeadSent() const;

  // How finish() lets go of conn_.
  enum class ConnectionFate {
    Close,          // anything but a clean end: it is never reused
    PoolIfReusable  // the response ended cleanly: back to the ConnectionPool if it may
  };
  // The one teardown: becomes Done, leaves the HoldQueue, pools or closes conn_ and stops
  // counting the request on its server. Idempotent. It answers no one: the caller does that
  // after, because an answer may call back into this handler.
  void finish(ConnectionFate fate = ConnectionFate::Close);

  // BackendConnection::User
  void onConnected() override;
  void onResponseHead(http::ResponseHead& head) override;
  void onResponseBody(evbuffer* data) override;
  void onResponseEnd() override;
  void onResponseTrailers(http::HeaderMap& trailers) override;
  void onInterimResponse(http::ResponseHead& head) override;
  void onRequestDrained() override;
  void onFailure(BackendFailure failure) override;

  void tryServer();
  // Picks a server, counts the request on it, and makes sure it was still Ready after that
  // (so that `drained` never misses a request). Null when none is available.
  health::Server* pickServer();
  // No server now: hold the request if the pool has a hold and room, else unavailable().
  void noServerAvailable();
  void onHoldWake() override;
  void onHoldExpired();
  // Held: out of the HoldQueue and its count (the caller then changes state).
  void leaveHold();
  // The one place a request ends for want of a server: fallback, else 503.
  void unavailable(std::string_view why);
  void sendRequest();
  // The failed attempt is dropped; the request goes to another server (or the same one, for
  // the keep-alive race).
  void retry();
  void finishWithError(int status, std::string_view detail);
  // Read-only mode (proxy/gate): a request blocked after it was queued, and the response hook
  // that keeps anyone from being logged in while the mode is on.
  void blockForReadOnly();
  void dropSetCookieWhileReadOnly(http::ResponseHead& head);
  void releaseServer();
  // limits.memory: false while under it; else the wait for memory starts (counted once per
  // pause) and true. onMemoryAvailable() resumes whatever paused for it.
  bool overMemoryBudget();
  void onMemoryAvailable();

  http::Exchange* exchange_;  // the client's; another once it left (continueWithout)
  BackendPool& pool_;
  std::shared_ptr<const void> owner_;
  ConnectionPool& connections_;
  net::EventLoop& loop_;
  BackendConnection::Timeouts timeouts_;
  const gate::BackendAdmission& admission_;
  ResponseInterceptor* interceptor_ = nullptr;
  std::unique_ptr<BackendConnection> conn_;
  health::Server* server_ = nullptr;
  // The servers this request was sent to, in order (the balancer skips them on a retry): at most
  // 1 + `retries` (config caps it at 10), 2 by default: inline up to 4 (the default never
  // allocates), on the heap past that.
  InlineVector<health::Server*, 4> tried_;
  State state_ = State::Picking;
  // Facts, not states: what may still be retried, and how far the client's request got.
  uint32_t connect_retries_left_;
  bool stale_retry_used_ = false;        // the keep-alive race retry is taken at most once
  bool request_ended_ = false;           // the client's request body is complete
  bool body_started_ = false;            // some request body bytes went to a backend
  bool body_paused_for_memory_ = false;  // the request body stopped for limits.memory
  std::chrono::steady_clock::time_point sent_at_;  // the request head went out (response times)
  // Armed at the first wait, for `hold`: a request holds at most that long in all.
  std::unique_ptr<net::Timer> hold_timer_;
  // In the loop's MemoryWaiters while something paused for limits.memory.
  WaitList::Waiter memory_waiter_{[this] { onMemoryAvailable(); }};
};

}  // namespace gatehouse::upstream
