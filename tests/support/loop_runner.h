#pragma once
// Bounded runs of a libevent loop for component tests: every wait has a deadline and nothing
// sleeps (STYLE.md, habit 8). One copy for every test that drives a loop by hand.

#include <event2/event.h>

#include <chrono>
#include <functional>

namespace gatehouse::testing {

// Runs `base` one non-blocking round at a time until pred() holds; false if `timeout` passed
// first.
inline bool runUntil(event_base* base, const std::function<bool()>& pred,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
  return true;
}

// A fixed number of non-blocking rounds, for "nothing more happens" checks; `each_round` (if
// any) runs before every round (a test client pumping its side, say).
inline void spin(event_base* base, int rounds = 50, const std::function<void()>& each_round = {}) {
  for (int i = 0; i < rounds; ++i) {
    if (each_round) each_round();
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
}

}  // namespace gatehouse::testing
