#pragma once
// The frame budgets of one HTTP/2 connection (RFC 9113 §10.5): frames that cost the server work
// and carry no request forward are counted per window (10 s), and one over a budget means a
// flood: the connection ends with GOAWAY ENHANCE_YOUR_CALM. Legitimate clients send a handful
// of each; the budgets are http2.max_* (INTERFACE.md).
//
// WINDOW_UPDATE is different: a client acknowledges our DATA with it, so a download of many
// small frames legitimately sends thousands. Each DATA frame we send earns two (one for the
// stream, one for the connection), each stream opened one; only those beyond the earned ones
// count against max_window_updates.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include "proxy/base/duration.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_rate_window.h"

namespace gatehouse::http {

struct Http2Budgets {
  uint32_t max_resets = 200;
  uint32_t max_settings = 100;
  uint32_t max_pings = 100;
  uint32_t max_empty_frames = 100;
  uint32_t max_window_updates = 1000;
  Duration window{10000};
};

class Http2FloodGuard {
 public:
  using TimePoint = Http2RateWindow::TimePoint;

  explicit Http2FloodGuard(const Http2Budgets& budgets)
      : resets_(budgets.max_resets, budgets.window),
        settings_(budgets.max_settings, budgets.window),
        pings_(budgets.max_pings, budgets.window),
        empty_frames_(budgets.max_empty_frames, budgets.window),
        window_updates_(budgets.max_window_updates, budgets.window),
        max_credit_(budgets.max_window_updates) {}

  // Records one event of `limit`'s kind (Resets, Settings, Pings, EmptyFrames or WindowUpdates)
  // at `now`; true when it passes the budget.
  bool add(Http2Limit limit, TimePoint now) {
    switch (limit) {
      case Http2Limit::Resets:
        return resets_.add(now);
      case Http2Limit::Settings:
        return settings_.add(now);
      case Http2Limit::Pings:
        return pings_.add(now);
      case Http2Limit::EmptyFrames:
        return empty_frames_.add(now);
      case Http2Limit::WindowUpdates:
        if (credit_ > 0) {
          --credit_;
          return false;
        }
        return window_updates_.add(now);
      default:
        return false;  // counted by nghttp2 or per stream, not here
    }
  }
  // We sent DATA, or a stream opened: the client may acknowledge it with WINDOW_UPDATEs. What
  // is banked is capped, so a long download does not pay for a later flood.
  void earnWindowUpdates(uint32_t n) { credit_ = std::min<uint64_t>(credit_ + n, max_credit_); }

 private:
  Http2RateWindow resets_;
  Http2RateWindow settings_;
  Http2RateWindow pings_;
  Http2RateWindow empty_frames_;
  Http2RateWindow window_updates_;
  uint64_t credit_ = 0;
  uint64_t max_credit_;
};

}  // namespace gatehouse::http
