#pragma once
// An inactivity timeout: moved on every read or write, stopped and restarted as a connection
// goes between waiting and working, and seldom due. arm() and cancel() only note the deadline
// (one clock read); the libevent timer under it is added again only when it fires before the
// deadline (to wait for the rest) or when the deadline moves earlier than it. A connection's
// read and write timeouts were re-armed with event_add/event_del, each under libevent's lock,
// about eight times per proxied request: ~1,300 of its ~31,000 instructions (bench/callgrind.sh).
//
// The callback runs from the loop, never from inside arm() or cancel(), at the deadline or up to
// kSlack before it (libevent's clock is coarse and cached per loop pass).

#include <chrono>
#include <functional>

#include "proxy/base/duration.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::net {

class InactivityTimer {
 public:
  InactivityTimer(event_base* base, std::function<void()> on_fire);
  InactivityTimer(const InactivityTimer&) = delete;
  InactivityTimer& operator=(const InactivityTimer&) = delete;

  // Due `after` from now, whatever was set before.
  void arm(Duration after);
  // Not due: a pending libevent timer stays, and finds nothing to do when it fires.
  void cancel() { deadline_ = {}; }
  // Not due, and the libevent timer removed too: for a connection that closes.
  void stop();

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kSlack = std::chrono::milliseconds(1);
  static void onEvent(evutil_socket_t, short, void* self);
  void schedule(Clock::duration after, Clock::time_point at);

  std::function<void()> on_fire_;
  EventPtr ev_;
  Clock::time_point deadline_{};  // the epoch: not due
  Clock::time_point event_at_{};  // when the pending libevent timer fires; the epoch: none
};

}  // namespace gatehouse::net
