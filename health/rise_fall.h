#pragma once
// What the active checks conclude about one server, from its consecutive results (HAProxy's
// check `rise` and `fall`). Pure: no I/O, time comes in from the caller's Clock, so unit tests
// walk it step by step.
//
//            pass (passes < rise)              fail (failures < fall)
//             +------+                           +------+
//             v      |                           v      |
//   +------ Down ----+--- rise-th pass ----->   Up -----+
//   |        ^                                   |
//   |        +------- fall-th failure -----------+
//   |        +------- passive ejection ----------+   (ejected(): no check needed)
//   +-- a failure resets the passes; a pass resets the failures.
//
// A Down server needs `rise` passes in a row to come back, also after a passive ejection:
// that is how live-traffic failures hand the server back to the active checks.

#include <cstdint>

#include "health/server_state.h"
#include "proxy/base/clock.h"

namespace gatehouse::health {

class RiseFall {
 public:
  RiseFall(Health initial, uint32_t rise, uint32_t fall, Clock::TimePoint now)
      : health_(initial), rise_(rise ? rise : 1), fall_(fall ? fall : 1), since_(now) {}

  // One check's result; true when it changed health().
  bool record(bool passed, Clock::TimePoint now);
  // The server was taken down by someone else (passive ejection): passes start from zero.
  void ejected(Clock::TimePoint now);

  Health health() const { return health_; }
  uint32_t passes() const { return passes_; }
  uint32_t failures() const { return failures_; }
  Clock::TimePoint since() const { return since_; }  // the last change of health()

 private:
  void become(Health next, Clock::TimePoint now);

  Health health_;
  uint32_t rise_;
  uint32_t fall_;
  uint32_t passes_ = 0;    // consecutive, while Down
  uint32_t failures_ = 0;  // consecutive, while Up
  Clock::TimePoint since_;
};

inline bool RiseFall::record(bool passed, Clock::TimePoint now) {
  if (passed) {
    failures_ = 0;
    if (health_ == Health::Up) return false;
    if (++passes_ < rise_) return false;
    become(Health::Up, now);
    return true;
  }
  passes_ = 0;
  if (health_ == Health::Down) return false;
  if (++failures_ < fall_) return false;
  become(Health::Down, now);
  return true;
}

inline void RiseFall::ejected(Clock::TimePoint now) {
  if (health_ == Health::Down) return;
  become(Health::Down, now);
}

inline void RiseFall::become(Health next, Clock::TimePoint now) {
  health_ = next;
  passes_ = failures_ = 0;
  since_ = now;
}

}  // namespace gatehouse::health
