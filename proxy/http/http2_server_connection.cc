// Http2ServerConnection: the session's set-up, graceful stop and the end of streams and of the
// connection. Reading into nghttp2 and writing what it says is http2_session_io.cc.
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

// --- lifetime ------------------------------------------------------------------------------

Http2Stream* Http2ServerConnection::stream(int32_t id) const {
  // The callbacks of one frame ask for the same stream again and again (one per header field).
  if (id == last_stream_id_ && last_stream_) return last_stream_;
  Http2Stream* s = streams_.find(id);
  if (!s) return nullptr;
  last_stream_id_ = id;
  last_stream_ = s;
  return s;
}

void Http2ServerConnection::closeStream(int32_t stream_id, uint32_t error_code) {
  std::unique_ptr<Http2Stream> s = streams_.take(stream_id);
  if (!s) return;
  forgetLastStream();
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
  auto streams = streams_.takeAll();
  forgetLastStream();
  for (auto& [id, s] : streams) {
    s->onClosed(NGHTTP2_CANCEL);  // each handler still running hears onDownstreamReset
    loop_.deferDelete(std::move(s));
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
