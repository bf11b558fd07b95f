#pragma once
// What the codecs count about request bodies and trailers for /metrics, each where its decision
// is made: bodies cut for arriving too slowly (408), HTTP/1 connections closed rather than
// drained after an early answer, and trailer fields dropped before they reach a backend (and,
// from a backend's response, before they reach the client).
// Process-wide relaxed atomics (like Http2Counters): totals, not a synchronisation point.

#include <atomic>
#include <cstdint>

namespace gatehouse::http {

struct RequestBodyCounters {
  // timeouts.client_body / limits.min_body_rate fired, by protocol.
  std::atomic<uint64_t> body_timeouts_http1{0};
  std::atomic<uint64_t> body_timeouts_http2{0};
  // The rest of a body after an early answer was more than the discard budget, malformed, or
  // too slow: the connection closed instead of serving the next request.
  std::atomic<uint64_t> discard_closes{0};
  // The same on HTTP/2: the stream was reset (NO_ERROR) instead of ending with the client's
  // END_STREAM.
  std::atomic<uint64_t> discard_resets_http2{0};
  // Request trailer fields dropped as not allowed in trailers (RFC 9110 §6.5.1).
  std::atomic<uint64_t> trailer_fields_dropped{0};
  std::atomic<uint64_t> response_trailer_fields_dropped{0};  // a backend's, before the client

  static RequestBodyCounters& process();
};

}  // namespace gatehouse::http
