#pragma once
// What the HTTP/2 codec counts for /metrics: streams, and each time a defence fired. Process-wide
// relaxed atomics (like TlsHandshake's): totals, not a synchronisation point.

#include <atomic>
#include <cstdint>

namespace gatehouse::http {

struct Http2Counters {
  std::atomic<uint64_t> sessions{0};        // connections that spoke HTTP/2
  std::atomic<uint64_t> streams{0};         // requests opened by clients
  std::atomic<uint64_t> client_resets{0};   // RST_STREAM frames from clients
  std::atomic<uint64_t> calm_goaways{0};    // GOAWAY ENHANCE_YOUR_CALM: a flood or rapid reset
  std::atomic<uint64_t> session_errors{0};  // sessions ended by a protocol error

  static Http2Counters& process();
};

}  // namespace gatehouse::http
