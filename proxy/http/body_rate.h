#pragma once
// BodyRate: the minimum rate a client must send a request body at (timeouts.client_body,
// limits.min_body_rate; Apache mod_reqtimeout's MinRate). A per-read timeout alone (nginx's
// client_body_timeout) never cuts a body sent at 1 byte per second; this does. Pure: the codec
// owns the timer, arms it for window() whenever the body is wanted, adds the bytes as they
// arrive, and asks windowEnded() each time the timer fires.
//
// Windows count only time while the handler wants the body: when the handler pauses it
// (backpressure from a backend), the codec stops the timer, and resume() starts a fresh
// window. The first window after start() bounds the wait for the first byte (the client may
// begin late, after a 100 Continue's round trip); each later window must carry at least
// min_bytes_per_second x window bytes, and never none.
//
//   start() --window ends, no byte yet--> NoFirstByte
//   --window ends with bytes--> windows that each need the minimum --short window--> TooSlow

#include <cstdint>

#include "proxy/base/duration.h"

namespace gatehouse::http {

// After an answer that came before the whole request body, up to this many bytes of the rest
// (as read, HTTP/1 chunk framing included) are read and dropped, on either protocol, so that
// the connection (HTTP/1) or the stream (HTTP/2) ends cleanly; beyond them, on bad framing or
// below the minimum body rate, HTTP/1 closes and HTTP/2 resets the stream (NO_ERROR).
inline constexpr uint64_t kMaxDiscardBytes = 1 << 20;

struct BodyRateLimit {
  Duration window{10000};                // timeouts.client_body
  uint64_t min_bytes_per_second = 1024;  // limits.min_body_rate; 0: any progress will do
};

class BodyRate {
 public:
  enum class Verdict : uint8_t { Continue, NoFirstByte, TooSlow };

  explicit BodyRate(const BodyRateLimit& limit = {}) : limit_(limit) {}

  // A new body: nothing received yet.
  void start() {
    received_any_ = false;
    window_bytes_ = 0;
  }
  // The body is wanted again after a pause: a fresh window starts.
  void resume() { window_bytes_ = 0; }
  void add(uint64_t bytes) { window_bytes_ += bytes; }
  Duration window() const { return limit_.window; }

  // The timer ran a whole window: the verdict on it, and the next window starts.
  Verdict windowEnded() {
    const uint64_t got = window_bytes_;
    window_bytes_ = 0;
    if (!received_any_) {
      received_any_ = got > 0;
      return received_any_ ? Verdict::Continue : Verdict::NoFirstByte;
    }
    return got == 0 || got < minimumPerWindow() ? Verdict::TooSlow : Verdict::Continue;
  }

  // Bytes a window must carry once the body has begun.
  uint64_t minimumPerWindow() const {
    return limit_.min_bytes_per_second * static_cast<uint64_t>(limit_.window.count()) / 1000;
  }

 private:
  BodyRateLimit limit_;
  bool received_any_ = false;
  uint64_t window_bytes_ = 0;
};

}  // namespace gatehouse::http
