// The deadlines of Http2ServerConnection: the connection's timer (idle and first request,
// graceful stop, lingering close), the header-block deadline (timeouts.client_header) and the
// watchdog of responses the client holds back (timeouts.client_send). Without the last two a
// client pinned a stream, its handler and a backend connection for as long as it liked
// (issue 14, defect 1).
#include <algorithm>
#include <optional>
#include <vector>

#include "proxy/base/log.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/http/http2_stream.h"

namespace gatehouse::http {

void Http2ServerConnection::armTimer(TimerMode mode, Duration after) {
  timer_mode_ = mode;
  timer_.arm(after);
}

// Idle (no stream): park after `park`, then the rest of idle_timeout; or idle_timeout at once.
void Http2ServerConnection::armIdleTimer() {
  if (settings_.park.count() > 0 && settings_.park < settings_.idle_timeout)
    armTimer(TimerMode::Park, settings_.park);
  else
    armTimer(TimerMode::Idle, settings_.idle_timeout);
}

// Nothing in flight, so the frame buffer holds no frame: its pages go back to the kernel (a
// few KiB of every idle connection). The next frame written takes a fresh page.
void Http2ServerConnection::park() {
  if (conn_->pendingOutput() == 0 && !nghttp2_session_want_write(session()))
    pages_.releaseIdlePages();
  Http2Counters::process().parks.fetch_add(1, std::memory_order_relaxed);
  armTimer(TimerMode::Idle, settings_.idle_timeout - settings_.park);
}

void Http2ServerConnection::onTimer() {
  TimerMode mode = timer_mode_;
  timer_mode_ = TimerMode::None;
  switch (mode) {
    case TimerMode::None:
      return;
    case TimerMode::Park:
      if (!streams_.empty() || !active() || terminating_) return;
      return park();
    case TimerMode::Idle:
      if (!streams_.empty() || !active()) return;
      log::debug("client {}: HTTP/2 connection idle", client_.ip);
      terminate(NGHTTP2_NO_ERROR);
      break;
    case TimerMode::ShutdownNotice:
      sendFinalGoaway();
      break;
    case TimerMode::Linger:
      closeNow();
      return;
  }
  sendPending();
  afterSessionIo();
}

// --- the head: a header block must be complete within header_timeout -----------------------

// While a header block is unfinished nothing else may arrive (RFC 9113 §6.10) and the stream it
// opens has no head, like an HTTP/1 request whose head is still coming: the deadline runs from
// the block's first byte, and progress does not restart it.
void Http2ServerConnection::updateHeaderDeadline() {
  const bool pending = frames_.inHeaderBlock() && active() && !terminating_;
  if (pending == header_timer_on_) return;
  header_timer_on_ = pending;
  if (pending)
    header_timer_.arm(settings_.header_timeout);
  else
    header_timer_.cancel();
}

void Http2ServerConnection::onHeaderTimeout() {
  header_timer_on_ = false;
  if (closed_ || !active() || terminating_) return;
  log::info("client {}: HTTP/2 header block unfinished after {} ms: GOAWAY", client_.ip,
            settings_.header_timeout.count());
  Http2Counters::process().header_timeouts.fetch_add(1, std::memory_order_relaxed);
  // The block cannot be abandoned alone (its HPACK state is the connection's), so the
  // connection ends. PROTOCOL_ERROR, as nginx answers a read timeout in the middle of a frame.
  terminate(NGHTTP2_PROTOCOL_ERROR);
  sendPending();
  afterSessionIo();
}

// --- responses: a body that cannot move for send_timeout is given up ----------------------

void Http2ServerConnection::watchSend() {
  if (send_timer_on_ || closed_) return;
  send_timer_on_ = true;
  send_timer_.arm(settings_.send_timeout);
}

// One timer for all streams, checked lazily: each stream keeps when its body last moved, and
// the timer runs only while some stream's body waits, firing at the earliest deadline. A stream
// is given up when its body has not moved for send_timeout and a flow-control window (its own or
// the connection's) is what holds it.
void Http2ServerConnection::onSendTimer() {
  send_timer_on_ = false;
  if (closed_ || !active()) return;
  const auto now = std::chrono::steady_clock::now();
  std::vector<int32_t> stalled;
  std::optional<std::chrono::steady_clock::time_point> next;
  const bool connection_window_shut = nghttp2_session_get_remote_window_size(session()) <= 0;
  for (const auto& [id, s] : streams_) {
    if (!s->sendWaiting()) continue;
    auto deadline = s->sendWaitingSince() + settings_.send_timeout;
    if (deadline <= now) {
      // Only a shut window is held against the stream. With a window open it waits for the
      // socket (the transport's send timeout watches that) or for its turn among many streams
      // of a client that reads slowly but reads: checked again a send_timeout later.
      const bool window_shut = connection_window_shut ||
                               nghttp2_session_get_stream_remote_window_size(session(), id) <= 0;
      if (window_shut) {
        stalled.push_back(id);
        continue;
      }
      deadline = now + settings_.send_timeout;
    }
    next = std::min(next.value_or(deadline), deadline);
  }
  for (int32_t id : stalled) {
    Http2Stream* s = stream(id);
    if (!s) continue;
    log::info("client {}: stream {}: response held back for {} ms: RST_STREAM", client_.ip, id,
              settings_.send_timeout.count());
    Http2Counters::process().send_timeouts.fetch_add(1, std::memory_order_relaxed);
    s->giveUpSending();
  }
  if (next) {
    send_timer_on_ = true;
    send_timer_.arm(std::chrono::ceil<Duration>(*next - now));
  }
  sendPending();
  afterSessionIo();
}

}  // namespace gatehouse::http
