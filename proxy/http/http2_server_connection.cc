#include "proxy/http/http2_server_connection.h"

#include <algorithm>

#include "proxy/base/log.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/http2_stream.h"

namespace gatehouse::http {
namespace {
constexpr Duration kLingerTime{2000};
// How long a graceful stop waits for the PING that measures one round trip before it sends
// the final GOAWAY anyway.
constexpr Duration kShutdownNoticeWait{1000};
// SETTINGS entries per frame (7 are defined, browsers send up to about 8 with GREASE).
constexpr size_t kMaxSettingsEntries = 32;
// SETTINGS and PING ACKs nghttp2 may queue before we write them: a backstop behind
// http2.max_settings and max_pings, above the ~960 PINGs one 16 KiB read can carry, so only a
// client that floods without reading the answers meets it (CVE-2019-9512, -9515).
constexpr size_t kMaxOutboundAcks = 1000;

// A GOAWAY frame (RFC 9113 §6.8) written by hand, for when nghttp2 can no longer be asked to.
void appendGoaway(evbuffer* out, int32_t last_stream, uint32_t error_code) {
  uint8_t frame[17] = {0, 0, 8, NGHTTP2_GOAWAY};  // length 8, no flags, stream 0
  const uint32_t fields[2] = {static_cast<uint32_t>(last_stream) & 0x7fffffff, error_code};
  for (size_t f = 0; f < 2; ++f)
    for (size_t i = 0; i < 4; ++i)
      frame[9 + 4 * f + i] = static_cast<uint8_t>(fields[f] >> (24 - 8 * i));
  evbuffer_add(out, frame, sizeof frame);
}

struct OptionDeleter {
  void operator()(nghttp2_option* o) const { nghttp2_option_del(o); }
};

std::unique_ptr<nghttp2_option, OptionDeleter> makeOptions(const Http2Settings& settings) {
  nghttp2_option* raw = nullptr;
  if (nghttp2_option_new(&raw) != 0) return nullptr;
  std::unique_ptr<nghttp2_option, OptionDeleter> opt(raw);
  // Flow control follows the handlers (Http2Stream::consume), not nghttp2's reading.
  nghttp2_option_set_no_auto_window_update(raw, 1);
  nghttp2_option_set_max_settings(raw, kMaxSettingsEntries);
  nghttp2_option_set_max_outbound_ack(raw, kMaxOutboundAcks);
  // nghttp2 counts CONTINUATIONs itself and fails the session past the limit; failSession()
  // then sends the GOAWAY ENHANCE_YOUR_CALM.
  nghttp2_option_set_max_continuations(raw, settings.max_continuations);
  nghttp2_option_set_max_deflate_dynamic_table_size(raw, settings.header_table_size);
  // nghttp2's own rapid-reset bucket stays as a backstop behind ours (countClientCausedReset):
  // twice the burst and the same mean rate never fire first on a client our window admits.
  const Http2Budgets& budgets = settings.budgets;
  const uint64_t window_s = std::max<int64_t>(1, budgets.window.count() / 1000);
  nghttp2_option_set_stream_reset_rate_limit(raw, uint64_t{budgets.max_resets} * 2,
                                             std::max<uint64_t>(1, budgets.max_resets / window_s));
  // Nothing here needs closed streams kept for the RFC 7540 priority tree.
  nghttp2_option_set_no_closed_streams(raw, 1);
  return opt;
}
}  // namespace

Http2ServerConnection::Http2ServerConnection(net::EventLoop& loop,
                                             std::unique_ptr<net::TcpConnection> conn,
                                             ClientInfo client, const Http2Settings& settings,
                                             ExchangeDispatcher& dispatcher,
                                             RequestIdGenerator& ids, OnClosed on_closed)
    : loop_(loop),
      conn_(std::move(conn)),
      client_(std::move(client)),
      settings_(settings),
      dispatcher_(dispatcher),
      ids_(ids),
      on_closed_(std::move(on_closed)),
      work_event_(event_new(loop.base(), -1, 0, &Http2ServerConnection::onWork, this)),
      timer_(loop.base(), [this] { onTimer(); }),
      header_timer_(loop.base(), [this] { onHeaderTimeout(); }),
      send_timer_(loop.base(), [this] { onSendTimer(); }),
      ledger_(std::max<size_t>(64, 2 * size_t{settings.max_concurrent_streams})),
      floods_(settings.budgets) {
  conn_->setHandler(*this);
  static nghttp2_session_callbacks* const callbacks = makeCallbacks();  // copied by nghttp2
  auto options = makeOptions(settings_);
  nghttp2_session* session = nullptr;
  // The frame buffer in pages of its own (Http2SessionMemory): most of an idle connection.
  if (options && nghttp2_session_server_new3(&session, callbacks, this, options.get(),
                                             pages_.allocator()) == 0)
    session_.reset(session);
}

Http2ServerConnection::~Http2ServerConnection() = default;

void Http2ServerConnection::start() {
  Http2Counters::process().sessions.fetch_add(1, std::memory_order_relaxed);
  if (!session_) {  // out of memory: nothing to say to the client
    log::error("client {}: cannot create an HTTP/2 session", client_.ip);
    closeNow();
    return;
  }
  const nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings_.max_header_list_size},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, settings_.header_table_size},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.initial_window_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      // RFC 9218: the RFC 7540 priority tree is ignored, so PRIORITY frames cost nothing.
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  nghttp2_submit_settings(session(), NGHTTP2_FLAG_NONE, entries, std::size(entries));
  nghttp2_session_set_local_window_size(session(), NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(settings_.connection_window_size));
  conn_->setLowWatermark(kOutputLowWatermark);
  // A client that stops reading what we owe it is dropped after send_timeout.
  conn_->setSendTimeout(settings_.send_timeout);
  conn_->setReading(true);
  armTimer(TimerMode::Idle, settings_.header_timeout);
  // Bytes may already wait: read with the TLS handshake, or by an h2c preface sniffer.
  if (evbuffer_get_length(conn_->input()) > 0) receive();
  sendPending();
  afterSessionIo();
}

void Http2ServerConnection::beginShutdown() {
  if (closed_ || closing_ || shutting_down_) return;
  shutting_down_ = true;
  if (!active()) return closeAfterFlush();
  // Two-step GOAWAY (RFC 9113 §6.8): the first says "no new streams soon" without refusing
  // those already in flight; the final one, a round trip later, names the last stream served.
  nghttp2_submit_shutdown_notice(session());
  nghttp2_submit_ping(session(), NGHTTP2_FLAG_NONE, kShutdownPing.data());
  armTimer(TimerMode::ShutdownNotice, kShutdownNoticeWait);
  sendPending();
  afterSessionIo();
}

void Http2ServerConnection::sendFinalGoaway() {
  if (final_goaway_sent_ || !active()) return;
  final_goaway_sent_ = true;
  if (timer_mode_ == TimerMode::ShutdownNotice) {
    timer_.cancel();
    timer_mode_ = TimerMode::None;
  }
  nghttp2_submit_goaway(session(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  scheduleWork();
}

// --- input ---------------------------------------------------------------------------------

void Http2ServerConnection::onReadable() {
  if (closed_) return;
  if (closing_) {  // GOAWAY is out: what the client still sends is read and dropped
    evbuffer_drain(conn_->input(), evbuffer_get_length(conn_->input()));
    return;
  }
  receive();
  sendPending();
  afterSessionIo();
}

void Http2ServerConnection::receive() {
  evbuffer* in = conn_->input();
  in_session_ = true;
  // Segment by segment: nghttp2 keeps its own state across calls, so nothing is pulled up.
  while (active() && !terminating_ && evbuffer_get_length(in) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
    const auto* bytes = static_cast<const uint8_t*>(vec.iov_base);
    // Up to the next frame header (or PRIORITY payload), which is judged before nghttp2 reads
    // it; nghttp2 takes every byte it is given (it is never paused), so both stay in step.
    const size_t step = frames_.advance(bytes, vec.iov_len);
    if (frames_.event() != Http2FrameTracker::Event::None) inspectFrame();
    ssize_t n = nghttp2_session_mem_recv(session(), bytes, step);
    if (n < 0) {
      // Every error mem_recv returns is fatal (bad preface, flood, callback failure).
      failSession(static_cast<int>(n));
      break;
    }
    evbuffer_drain(in, static_cast<size_t>(n));
  }
  in_session_ = false;
  updateHeaderDeadline();
}

void Http2ServerConnection::failSession(int lib_error) {
  log::info("client {}: HTTP/2 session ended: {}", client_.ip, nghttp2_strerror(lib_error));
  session_failed_ = true;
  Http2Counters& counters = Http2Counters::process();
  counters.session_errors.fetch_add(1, std::memory_order_relaxed);
  evbuffer_drain(conn_->input(), evbuffer_get_length(conn_->input()));
  if (lib_error == NGHTTP2_ERR_BAD_CLIENT_MAGIC) return;  // not HTTP/2: no GOAWAY (RFC 9113 §3.4)
  uint32_t code = NGHTTP2_INTERNAL_ERROR;
  if (lib_error == NGHTTP2_ERR_FLOODED || lib_error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
    counters.countLimit(lib_error == NGHTTP2_ERR_FLOODED ? Http2Limit::OutboundAcks
                                                         : Http2Limit::Continuations);
    counters.calm_goaways.fetch_add(1, std::memory_order_relaxed);
    code = NGHTTP2_ENHANCE_YOUR_CALM;
  }
  // What we wrote so far ends on a frame boundary (mem_send hands out whole frames, writeData
  // writes a DATA frame whole), so the GOAWAY may follow it.
  appendGoaway(conn_->output(), nghttp2_session_get_last_proc_stream_id(session()), code);
  counters.countGoaway(code);
}

void Http2ServerConnection::onWork(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Http2ServerConnection*>(arg);
  if (self->closed_) return;
  std::vector<int32_t> ids;
  ids.swap(self->deliveries_);
  for (int32_t id : ids) {
    if (self->closing_) break;
    if (Http2Stream* s = self->stream(id)) s->deliverBody();
  }
  self->sendPending();
  self->afterSessionIo();
}

void Http2ServerConnection::scheduleWork() {
  if (!closed_) event_active(work_event_.get(), EV_TIMEOUT, 0);
}

void Http2ServerConnection::scheduleDelivery(int32_t stream_id) {
  deliveries_.push_back(stream_id);
  scheduleWork();
}

// --- output --------------------------------------------------------------------------------

void Http2ServerConnection::sendPending() {
  // Once closing, nghttp2 has nothing left to say (closeAfterFlush waits for that).
  if (!active() || in_session_ || closing_) return;
  evbuffer* out = conn_->output();
  in_session_ = true;
  while (evbuffer_get_length(out) < kOutputHighWatermark) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session(), &data);
    if (n < 0) {
      log::info("client {}: HTTP/2 session ended: {}", client_.ip,
                nghttp2_strerror(static_cast<int>(n)));
      session_failed_ = true;
      break;
    }
    if (n == 0) break;
    evbuffer_add(out, data, static_cast<size_t>(n));
  }
  in_session_ = false;
  if (!reading_paused_ && evbuffer_get_length(out) >= kOutputHighWatermark) {
    reading_paused_ = true;
    conn_->setReading(false);
  }
  notifyDrained();
}

size_t Http2ServerConnection::outputShare() const {
  if (closed_) return 0;
  const size_t output = conn_->pendingOutput();
  const size_t budget = settings_.response_buffer;
  const bool full = response_buffered_ + output > budget;
  if (full && !response_buffer_full_)
    Http2Counters::process().response_buffer_full.fetch_add(1, std::memory_order_relaxed);
  response_buffer_full_ = full;
  if (full) return budget;  // all wait
  return output / std::max<size_t>(1, streams_.size());
}

void Http2ServerConnection::notifyDrained() {
  // Ids first: a handler woken here may send, which never closes a stream synchronously, but
  // the copy keeps that a local argument.
  std::vector<int32_t> ids;
  ids.reserve(streams_.size());
  for (const auto& [id, s] : streams_)
    if (s->responding()) ids.push_back(id);
  for (int32_t id : ids)
    if (Http2Stream* s = stream(id)) s->notifyDrainedIfOwed();
}

void Http2ServerConnection::stopAfterFlush(int32_t stream_id) {
  stop_after_flush_.push_back(stream_id);
}

void Http2ServerConnection::onDrained() {
  if (closed_) return;
  if (!stop_after_flush_.empty() && conn_->pendingOutput() == 0) {
    std::vector<int32_t> ids;
    ids.swap(stop_after_flush_);
    for (int32_t id : ids)
      if (Http2Stream* s = stream(id)) s->stopUpload();
  }
  if (reading_paused_ && conn_->pendingOutput() < kOutputHighWatermark) {
    reading_paused_ = false;
    if (!closing_) conn_->setReading(true);
  }
  sendPending();
  afterSessionIo();
}

// --- lifetime ------------------------------------------------------------------------------

Http2Stream* Http2ServerConnection::stream(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Http2ServerConnection::closeStream(int32_t stream_id, uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  std::shared_ptr<Http2Stream> s(std::move(it->second));
  streams_.erase(it);
  s->onClosed(error_code);
  // Its handler may be the caller several frames up: destroy after the callback returns.
  loop_.deferDelete(std::move(s));
}

void Http2ServerConnection::countFrame(Http2Limit limit) {
  if (floods_.add(limit, std::chrono::steady_clock::now())) calmDown(limit);
}

void Http2ServerConnection::calmDown(Http2Limit limit) {
  if (!active() || terminating_) return;
  log::warn("client {}: over its HTTP/2 budget of {}: GOAWAY ENHANCE_YOUR_CALM", client_.ip,
            kHttp2LimitLabels[static_cast<size_t>(limit)]);
  Http2Counters& counters = Http2Counters::process();
  counters.countLimit(limit);
  counters.calm_goaways.fetch_add(1, std::memory_order_relaxed);
  terminate(NGHTTP2_ENHANCE_YOUR_CALM);
}

void Http2ServerConnection::terminate(uint32_t error_code) {
  // Often called from inside mem_recv, where nghttp2 goes on parsing the rest of the buffer:
  // the callbacks ignore it (terminating_). afterSessionIo() closes once the GOAWAY is out.
  terminating_ = true;
  nghttp2_session_terminate_session(session(), error_code);
}

// Called after every round of reading or writing: decides whether the session is over.
void Http2ServerConnection::afterSessionIo() {
  if (closed_) return;
  if (closing_ || session_failed_ ||
      (!nghttp2_session_want_read(session()) && !nghttp2_session_want_write(session()))) {
    closeAfterFlush();
    return;
  }
  // Like HTTP/1's client_idle while a body is read: a client that owes request body and sends
  // nothing holds a handler (and maybe a backend connection), so it gets a read timeout.
  const bool awaiting = std::any_of(streams_.begin(), streams_.end(),
                                    [](const auto& entry) { return entry.second->awaitingBody(); });
  if (awaiting != read_timeout_on_) {
    read_timeout_on_ = awaiting;
    // Writes are timed by the send timeout (start()).
    conn_->setTimeouts(awaiting ? settings_.idle_timeout : Duration::zero(), Duration::zero());
  }
  const bool idle_timing = timer_mode_ == TimerMode::Idle || timer_mode_ == TimerMode::Park;
  if (!streams_.empty() && idle_timing) {
    timer_.cancel();
    timer_mode_ = TimerMode::None;
  } else if (streams_.empty() && timer_mode_ == TimerMode::None && !shutting_down_) {
    armIdleTimer();
  }
}

void Http2ServerConnection::closeAfterFlush() {
  if (closed_ || lingering_) return;
  if (!closing_) {
    closing_ = true;
    timer_.cancel();
    timer_mode_ = TimerMode::None;
    evbuffer_drain(conn_->input(), evbuffer_get_length(conn_->input()));
    // Nothing more is sent: streams still open (after an error GOAWAY) cannot finish, so
    // their handlers stop now rather than after the flush and linger.
    resetAllStreams();
  }
  if (conn_->pendingOutput() > 0) return;  // onDrained() calls back once flushed
  // FIN after the GOAWAY, then read and drop for a moment: closing with unread input makes
  // the kernel send a reset that can destroy the GOAWAY before the client reads it.
  lingering_ = true;
  conn_->shutdownWrite();
  conn_->setTimeouts(Duration::zero(), Duration::zero());
  conn_->setReading(true);
  armTimer(TimerMode::Linger, kLingerTime);
}

void Http2ServerConnection::closeNow() {
  if (closed_) return;
  closed_ = true;  // from here on nghttp2 is never called again
  timer_.cancel();
  header_timer_.cancel();
  send_timer_.cancel();
  event_del(work_event_.get());
  resetAllStreams();
  conn_->close();
  on_closed_(this);
}

void Http2ServerConnection::resetAllStreams() {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) {
    std::shared_ptr<Http2Stream> gone(std::move(s));
    gone->onClosed(NGHTTP2_CANCEL);  // each handler still running hears onDownstreamReset
    loop_.deferDelete(std::move(gone));
  }
}

void Http2ServerConnection::onClose(net::TcpConnection::CloseReason reason) {
  if (closed_) return;
  // An HTTP/2 client never half-closes to wait for answers: EOF means it is gone, like a
  // reset or a timeout.
  if (reason != net::TcpConnection::CloseReason::Eof)
    log::debug("client {}: HTTP/2 connection lost", client_.ip);
  closeNow();
}

}  // namespace gatehouse::http
