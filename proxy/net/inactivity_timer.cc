#include "proxy/net/inactivity_timer.h"

namespace gatehouse::net {

InactivityTimer::InactivityTimer(event_base* base, std::function<void()> on_fire)
    : on_fire_(std::move(on_fire)), ev_(evtimer_new(base, &InactivityTimer::onEvent, this)) {}

void InactivityTimer::arm(Duration after) {
  const Clock::time_point now = Clock::now();
  deadline_ = now + after;
  // A pending timer that fires first comes back for the rest: nothing to tell libevent.
  if (event_at_ != Clock::time_point{} && event_at_ <= deadline_) return;
  schedule(after, deadline_);
}

void InactivityTimer::stop() {
  deadline_ = {};
  if (event_at_ == Clock::time_point{}) return;
  event_at_ = {};
  evtimer_del(ev_.get());
}

void InactivityTimer::schedule(Clock::duration after, Clock::time_point at) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(after).count();
  timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  evtimer_add(ev_.get(), &tv);
  event_at_ = at;
}

void InactivityTimer::onEvent(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<InactivityTimer*>(arg);
  self->event_at_ = {};
  if (self->deadline_ == Clock::time_point{}) return;  // cancelled meanwhile
  const Clock::time_point now = Clock::now();
  if (now + kSlack < self->deadline_) {
    self->schedule(self->deadline_ - now, self->deadline_);  // moved on meanwhile: wait the rest
    return;
  }
  self->deadline_ = {};
  self->on_fire_();
}

}  // namespace gatehouse::net
