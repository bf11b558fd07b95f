#pragma once
// What the HTTP/2 codec counts for /metrics: streams, and each time a defence fired. Process-wide
// relaxed atomics (like TlsHandshake's): totals, not a synchronisation point.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gatehouse::http {

// The budgets of a connection (http2.* in INTERFACE.md); each has a label in /metrics.
enum class Http2Limit : uint8_t {
  Resets,         // RST_STREAM received or provoked (rapid reset, MadeYouReset)
  Settings,       // SETTINGS frames
  Pings,          // PING frames
  EmptyFrames,    // DATA frames without payload nor END_STREAM
  WindowUpdates,  // WINDOW_UPDATE frames beyond those our DATA earned
  Continuations,  // CONTINUATION frames after one HEADERS
  OutboundAcks,   // SETTINGS/PING ACKs queued for a client that does not read them
  HeaderList,     // a request head over max_header_list (answered 431, the stream only)
};
inline constexpr std::array<std::string_view, 8> kHttp2LimitLabels = {
    "resets",         "settings",      "pings",         "empty_frames",
    "window_updates", "continuations", "outbound_acks", "header_list"};

// RFC 9113 §7 error codes, as /metrics labels of the GOAWAYs we send.
inline constexpr std::array<std::string_view, 14> kHttp2ErrorNames = {"NO_ERROR",
                                                                      "PROTOCOL_ERROR",
                                                                      "INTERNAL_ERROR",
                                                                      "FLOW_CONTROL_ERROR",
                                                                      "SETTINGS_TIMEOUT",
                                                                      "STREAM_CLOSED",
                                                                      "FRAME_SIZE_ERROR",
                                                                      "REFUSED_STREAM",
                                                                      "CANCEL",
                                                                      "COMPRESSION_ERROR",
                                                                      "CONNECT_ERROR",
                                                                      "ENHANCE_YOUR_CALM",
                                                                      "INADEQUATE_SECURITY",
                                                                      "HTTP_1_1_REQUIRED"};

struct Http2Counters {
  std::atomic<uint64_t> sessions{0};        // connections that spoke HTTP/2
  std::atomic<uint64_t> streams{0};         // requests opened by clients
  std::atomic<uint64_t> client_resets{0};   // RST_STREAM frames from clients
  std::atomic<uint64_t> calm_goaways{0};    // GOAWAY ENHANCE_YOUR_CALM: a flood or rapid reset
  std::atomic<uint64_t> session_errors{0};  // sessions ended by a protocol error
  // A header block left unfinished for timeouts.client_header: the connection ended.
  std::atomic<uint64_t> header_timeouts{0};
  // A response that could not move for timeouts.client_send (the client's window stayed
  // shut): the stream reset and its handler released.
  std::atomic<uint64_t> send_timeouts{0};
  // Connections without a stream for timeouts.client_park that gave their frame buffer's
  // pages back (Http2ServerConnection::park()).
  std::atomic<uint64_t> parks{0};
  // Times a connection's streams all had to wait: their responses held http2.response_buffer
  // for a client that was not reading (counted when it fills, not while it stays full).
  std::atomic<uint64_t> response_buffer_full{0};
  std::array<std::atomic<uint64_t>, kHttp2LimitLabels.size()> limits_exceeded{};
  std::array<std::atomic<uint64_t>, kHttp2ErrorNames.size()> goaways_sent{};  // by error code

  void countLimit(Http2Limit limit) {
    limits_exceeded[static_cast<size_t>(limit)].fetch_add(1, std::memory_order_relaxed);
  }
  void countGoaway(uint32_t error_code) {
    if (error_code < goaways_sent.size())
      goaways_sent[error_code].fetch_add(1, std::memory_order_relaxed);
  }

  static Http2Counters& process();
};

}  // namespace gatehouse::http
