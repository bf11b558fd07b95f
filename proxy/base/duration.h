#pragma once
// Durations carry their unit in the type: every timeout in config and code is a Duration.

#include <sys/time.h>

#include <chrono>
#include <cstdint>

namespace gatehouse {

using Duration = std::chrono::milliseconds;

inline timeval toTimeval(Duration d) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

}  // namespace gatehouse
