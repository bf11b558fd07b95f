#pragma once
// A one-shot timer on a loop, re-armable, cancelled when destroyed.

#include <functional>

#include "proxy/base/duration.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::net {

class Timer {
 public:
  Timer(event_base* base, std::function<void()> on_fire)
      : on_fire_(std::move(on_fire)), ev_(evtimer_new(base, &Timer::trampoline, this)) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(Duration after) {
    timeval tv = toTimeval(after);
    evtimer_add(ev_.get(), &tv);
  }
  void cancel() { evtimer_del(ev_.get()); }
  bool armed() const { return evtimer_pending(ev_.get(), nullptr) != 0; }

 private:
  static void trampoline(evutil_socket_t, short, void* self) {
    static_cast<Timer*>(self)->on_fire_();
  }
  std::function<void()> on_fire_;
  EventPtr ev_;
};

}  // namespace gatehouse::net
