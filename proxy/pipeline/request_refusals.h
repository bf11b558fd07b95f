#pragma once
// Requests the pipeline answers itself before routing, counted by reason for /metrics
// (gatehouse_http_requests_refused_total). Process-wide relaxed atomics, like Http2Counters:
// totals, not a synchronisation point.

#include <atomic>
#include <cstdint>

namespace gatehouse::pipeline {

struct RequestRefusals {
  std::atomic<uint64_t> dot_segment{0};  // 400: a "." or ".." segment (http/request_path.h)
  std::atomic<uint64_t> memory{0};       // 503: limits.memory was in use (base/memory_budget.h)

  static RequestRefusals& process();
};

}  // namespace gatehouse::pipeline
