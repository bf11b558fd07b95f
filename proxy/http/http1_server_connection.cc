#include "proxy/http/http1_server_connection.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "proxy/base/ascii.h"
#include "proxy/base/log.h"
#include "proxy/http/error_page.h"
#include "proxy/http/http1_writer.h"
#include "proxy/net/socket_address.h"

namespace gatehouse::http {
namespace {
constexpr Duration kLingerTime{2000};
// After the response, up to this much of an unread request body is read and dropped so the
// connection can be kept; beyond it the connection closes.
constexpr uint64_t kMaxDiscardBytes = 1 << 20;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Absolute-form targets ("http://host/path") become origin-form; the host part wins over Host
// (RFC 9112 §3.2.2).
void normalizeTarget(RequestHead& head) {
  std::string_view t = head.target;
  size_t scheme_end = t.find("://");
  if (t.empty() || t.front() == '/' || scheme_end == std::string_view::npos) return;
  std::string_view rest = t.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?");
  head.authority = std::string(rest.substr(0, path_start));
  std::string path =
      path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (path.front() == '?') path.insert(0, "/");
  head.target = std::move(path);
}

RequestHead toRequestHead(const RequestHeadView& view) {
  RequestHead head;
  head.method = std::string(view.method);
  head.target = std::string(view.target);
  head.authority = std::string(view.host);
  head.version_minor = view.version_minor;
  head.headers.reserve(view.headers.size() + 6);
  for (const HeaderView& h : view.headers)
    head.headers.add(h.name, h.value);
  head.upgrade = view.upgrade;
  removeHopByHop(head.headers, head.upgrade);
  head.headers.remove("expect");          // 100-continue is answered here, not by the backend
  head.headers.remove("content-length");  // framing is the codec's to write, never copied
  head.has_body = view.framing == http::BodyFraming::ContentLength
                      ? view.content_length > 0
                      : view.framing == http::BodyFraming::Chunked;
  if (view.framing == http::BodyFraming::ContentLength) head.content_length = view.content_length;
  normalizeTarget(head);
  return head;
}
}  // namespace

Http1ServerConnection::Http1ServerConnection(net::EventLoop& loop, evutil_socket_t fd,
                                             ClientInfo client, const Http1Settings& settings,
                                             Http1Parser& parser, ExchangeDispatcher& dispatcher,
                                             RequestIdGenerator& ids, OnClosed on_closed)
    : Http1ServerConnection(loop, net::TcpConnection::adopt(loop.base(), fd, *this),
                            std::move(client), settings, parser, dispatcher, ids,
                            std::move(on_closed)) {}

Http1ServerConnection::Http1ServerConnection(net::EventLoop& loop,
                                             std::unique_ptr<net::TcpConnection> conn,
                                             ClientInfo client, const Http1Settings& settings,
                                             Http1Parser& parser, ExchangeDispatcher& dispatcher,
                                             RequestIdGenerator& ids, OnClosed on_closed)
    : loop_(loop),
      conn_(std::move(conn)),
      process_event_(event_new(loop.base(), -1, 0, &Http1ServerConnection::onProcess, this)),
      timer_(loop.base(), [this] { onTimer(); }),
      client_(std::move(client)),
      settings_(settings),
      dispatcher_(dispatcher),
      ids_(ids),
      on_closed_(std::move(on_closed)),
      parser_(parser),
      body_chunk_(net::makeEvbuffer()) {
  conn_->setHandler(*this);
}

Http1ServerConnection::~Http1ServerConnection() = default;

void Http1ServerConnection::start() {
  // Reading stops by itself once a head's worth of bytes waits unprocessed (pipelining bound).
  conn_->setReadLimit(settings_.limits.request_line + settings_.limits.headers + 4096);
  conn_->setLowWatermark(Exchange::kLowWatermark);
  conn_->setTimeouts(Duration::zero(), settings_.client_idle);
  conn_->setReading(true);
  // A new connection owes us its first head within client_header (nginx's
  // client_header_timeout): silent connections must not pile up. Between requests on a
  // kept-alive connection, client_idle applies instead.
  armTimer(TimerMode::Header, settings_.client_header);
  // Bytes may already wait: read with a TLS handshake, or by an h2c preface sniffer.
  if (evbuffer_get_length(conn_->input()) > 0) scheduleProcess();
}

void Http1ServerConnection::beginShutdown() {
  shutting_down_ = true;
  if (!exchange_ && !closing_) closeAfterFlush();  // the last response may still be going out
}

// --- input ---------------------------------------------------------------------------------

void Http1ServerConnection::onProcess(evutil_socket_t, short, void* self) {
  static_cast<Http1ServerConnection*>(self)->process();
}

void Http1ServerConnection::scheduleProcess() {
  event_active(process_event_.get(), EV_TIMEOUT, 0);
}

void Http1ServerConnection::process() {
  if (closed_) return;
  evbuffer* in = conn_->input();
  if (closing_) {
    evbuffer_drain(in, evbuffer_get_length(in));
    return;
  }
  if (discarding_body_ || (exchange_ && !request_done_)) {
    readBody();
  } else if (!exchange_) {
    readHead();
  }
  // Otherwise a pipelined request waits until this exchange completes.
}

void Http1ServerConnection::readHead() {
  evbuffer* in = conn_->input();
  size_t available = evbuffer_get_length(in);
  if (available == 0) {
    if (shutting_down_) closeAfterFlush();
    return;
  }
  const size_t cap = settings_.limits.request_line + settings_.limits.headers + 2;
  size_t n = std::min(available, cap);
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ssize_t>(n)));
  auto outcome = parser_.parseRequest(std::string_view(data, n));
  switch (outcome.state) {
    case ParseState::Incomplete:
      if (n >= cap) return reject(431, "request head too large");
      // Only a head that arrives in pieces is timed (client_header, from its first bytes): a
      // whole one is handled now, without arming and cancelling a timer per request.
      if (timer_mode_ != TimerMode::Header) armTimer(TimerMode::Header, settings_.client_header);
      return;
    case ParseState::Error:
      log::debug("client {}: bad request: {}", client_.ip, describe(outcome.error));
      reject(statusFor(outcome.error), describe(outcome.error));
      return;
    case ParseState::Complete:
      startExchange(outcome.head);
      return;
  }
}

void Http1ServerConnection::startExchange(const RequestHeadView& view) {
  timer_.cancel();
  timer_mode_ = TimerMode::None;
  if (view.framing == http::BodyFraming::ContentLength &&
      view.content_length > settings_.max_body) {
    reject(413, "request body larger than the configured limit");
    return;
  }
  RequestHead head = toRequestHead(view);
  if (head.authority.empty()) {
    // HTTP/1.0 without Host: name the address the client reached, so the backend (spoken to
    // in HTTP/1.1, where Host is required) gets a valid request.
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (getsockname(conn_->fd(), reinterpret_cast<sockaddr*>(&local), &len) == 0)
      head.authority =
          net::SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&local), len).toString();
  }
  RequestId id = ids_.take(head.headers);
  framing_ = view.framing == http::BodyFraming::Chunked         ? BodyFraming::Chunked
             : view.framing == http::BodyFraming::ContentLength ? BodyFraming::Length
                                                                : BodyFraming::None;
  body_remaining_ = view.content_length;
  body_received_ = 0;
  if (framing_ == BodyFraming::Chunked) chunked_ = std::make_unique<ChunkedDecoder>();
  if (framing_ == BodyFraming::Length && body_remaining_ == 0) framing_ = BodyFraming::None;
  request_keep_alive_ = view.keep_alive;
  expect_continue_ = view.expect_continue && framing_ != BodyFraming::None;
  is_head_request_ = view.method == "HEAD";
  evbuffer_drain(conn_->input(), view.head_length);

  body_wanted_ = continue_sent_ = response_started_ = response_done_ = false;
  discarding_body_ = response_chunked_ = false;
  request_done_ = framing_ == BodyFraming::None;
  keep_alive_ = true;
  exchange_ = std::make_unique<Exchange>(std::move(head), client_, id.view(), *this);
  Exchange* exchange = exchange_.get();
  dispatcher_.dispatch(*exchange);
  // The handler may have answered, or the connection closed, inside dispatch().
  if (exchange_.get() == exchange && request_done_ && exchange->handler())
    exchange->handler()->onRequestEnd();
}

void Http1ServerConnection::readBody() {
  if (!body_wanted_ && !discarding_body_) return;
  evbuffer* in = conn_->input();
  evbuffer* out = body_chunk_.get();
  // Bytes a handler left here (paused mid-delivery) are offered again but counted once.
  const size_t carried = evbuffer_get_length(out);
  bool done = false;
  if (framing_ == BodyFraming::Tunnel) {
    evbuffer_add_buffer(out, in);
  } else if (framing_ == BodyFraming::Length) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(body_remaining_, evbuffer_get_length(in)));
    evbuffer_remove_buffer(in, out, n);
    body_remaining_ -= n;
    done = body_remaining_ == 0;
  } else if (framing_ == BodyFraming::Chunked) {
    // Decode segment by segment without pulling the body up into one block.
    size_t consumed_total = 0;
    evbuffer_ptr pos;
    evbuffer_ptr_set(in, &pos, 0, EVBUFFER_PTR_SET);
    evbuffer_iovec vec;
    while (!done && evbuffer_peek(in, -1, &pos, &vec, 1) > 0 && vec.iov_len > 0) {
      std::string_view segment(static_cast<const char*>(vec.iov_base), vec.iov_len);
      while (!segment.empty()) {
        ChunkedDecoder::Step step = chunked_->decode(segment);
        if (step.error != ParseError::None) {
          evbuffer_drain(in, consumed_total);
          reject(statusFor(step.error), describe(step.error));
          return;
        }
        if (!step.data.empty()) evbuffer_add(out, step.data.data(), step.data.size());
        segment.remove_prefix(step.consumed);
        consumed_total += step.consumed;
        if (step.done) {
          done = true;
          break;
        }
        if (step.consumed == 0) break;
      }
      if (evbuffer_ptr_set(in, &pos, consumed_total, EVBUFFER_PTR_SET) != 0) break;
    }
    evbuffer_drain(in, consumed_total);
  }
  size_t n = evbuffer_get_length(out);
  body_received_ += n - carried;
  if (framing_ != BodyFraming::Tunnel && body_received_ > settings_.max_body) {
    reject(413, "request body larger than the configured limit");
    return;
  }
  if (discarding_body_) {
    evbuffer_drain(out, n);
    if (body_received_ > kMaxDiscardBytes) {
      keep_alive_ = false;
      closeAfterFlush();
      return;
    }
  } else if (n > 0 && exchange_ && exchange_->handler()) {
    exchange_->record().bytes_received += n - carried;
    exchange_->handler()->onRequestBody(out);
    if (closed_ || closing_) return;
  } else {
    evbuffer_drain(out, n);
  }
  if (done) {
    if (chunked_ && exchange_)
      for (const auto& [name, value] : chunked_->trailers())
        exchange_->requestTrailers().add(name, value);
    finishRequestBody();
  }
}

void Http1ServerConnection::finishRequestBody() {
  request_done_ = true;
  conn_->setTimeouts(Duration::zero(), settings_.client_idle);
  if (!discarding_body_ && exchange_ && exchange_->handler()) exchange_->handler()->onRequestEnd();
  maybeFinishExchange();
}

void Http1ServerConnection::pauseRequestBody() {
  if (closed_ || !body_wanted_) return;
  body_wanted_ = false;
  conn_->setReading(false);
}

void Http1ServerConnection::resumeRequestBody() {
  if (closed_ || closing_ || body_wanted_ || request_done_) return;
  body_wanted_ = true;
  if (expect_continue_ && !continue_sent_ && !response_started_) {
    continue_sent_ = true;
    evbuffer_add(conn_->output(), kContinue.data(), kContinue.size());
  }
  // An idle client mid-body is timed out by the read timeout.
  conn_->setTimeouts(settings_.client_idle, settings_.client_idle);
  conn_->setReading(true);
  scheduleProcess();  // bytes may already wait in the input buffer
}

// --- output --------------------------------------------------------------------------------

void Http1ServerConnection::sendHead(const ResponseHead& head) {
  if (closed_ || closing_ || response_started_) return;
  if (head.status == 101) {
    // Switching protocols: from here on both directions are opaque bytes.
    response_started_ = true;
    response_body_allowed_ = true;
    response_chunked_ = false;
    writeResponseHead(conn_->output(), head, "Connection: upgrade\r\n");
    framing_ = BodyFraming::Tunnel;
    request_done_ = false;
    keep_alive_ = false;
    body_wanted_ = true;
    conn_->setTimeouts(Duration::zero(), Duration::zero());
    conn_->setReading(true);
    scheduleProcess();
    return;
  }
  InlineBuffer<128> extra;
  startResponse(head, extra);
  writeResponseHead(conn_->output(), head, extra.view());
}

void Http1ServerConnection::sendWhole(const ResponseHead& head, std::string_view body) {
  if (closed_ || closing_ || response_started_ || head.status == 101 || !head.content_length)
    return Downstream::sendWhole(head, body);
  InlineBuffer<128> extra;
  startResponse(head, extra);
  // Head and body leave from here in one write when nothing is queued ahead of them; a small
  // body is copied behind the head, so that the write is a plain send(2).
  InlineBuffer<4096> bytes;
  writeResponseHeadTo(bytes.grow(responseHeadSize(head, extra.view())), head, extra.view());
  if (!response_body_allowed_) body = {};
  if (bytes.size() + body.size() <= 4096) {
    bytes.append(body);
    body = {};
  }
  conn_->writeNow(bytes.view(), body);
  sendEnd();
}

void Http1ServerConnection::startResponse(const ResponseHead& head, InlineBuffer<128>& extra) {
  // Framing fields, on the stack: a heap string here would cost an allocation per response.
  auto add = [&extra](std::string_view text) { extra.append(text); };
  response_started_ = true;
  response_body_allowed_ = head.has_body && !is_head_request_;
  keep_alive_ = request_keep_alive_ && !shutting_down_;
  if (!request_done_) {
    // The client is still sending. Without a 100 Continue it may never send the body, and a
    // large remainder is not worth reading: either way the connection ends after this answer.
    bool small_rest = framing_ == BodyFraming::Length && body_remaining_ <= kMaxDiscardBytes;
    if ((expect_continue_ && !continue_sent_) || !(small_rest || framing_ == BodyFraming::Chunked))
      keep_alive_ = false;
  }
  if (head.content_length) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, *head.content_length);
    (void)ec;
    add("Content-Length: ");
    add(std::string_view(digits, static_cast<size_t>(end - digits)));
    add("\r\n");
  } else if (head.has_body) {
    if (exchange_ && exchange_->request().version_minor >= 1) {
      response_chunked_ = response_body_allowed_;
      add("Transfer-Encoding: chunked\r\n");
    } else {
      keep_alive_ = false;  // an HTTP/1.0 client learns the end from the close
    }
  }
  if (!keep_alive_) {
    add("Connection: close\r\n");
  } else if (exchange_ && exchange_->request().version_minor == 0) {
    add("Connection: keep-alive\r\n");
  }
}

void Http1ServerConnection::sendBody(evbuffer* data) {
  if (closed_ || closing_ || !response_started_ || !response_body_allowed_) {
    evbuffer_drain(data, evbuffer_get_length(data));
    return;
  }
  evbuffer* out = conn_->output();
  if (response_chunked_)
    writeChunk(out, data);
  else
    evbuffer_add_buffer(out, data);
}

void Http1ServerConnection::sendBodyBytes(std::string_view bytes) {
  if (response_chunked_) return Downstream::sendBodyBytes(bytes);  // chunk framing needs a buffer
  if (closed_ || closing_ || !response_started_ || !response_body_allowed_) return;
  evbuffer_add(conn_->output(), bytes.data(), bytes.size());  // beside the head, in one chain
}

void Http1ServerConnection::sendEnd() {
  if (closed_ || closing_ || response_done_) return;
  response_done_ = true;
  if (framing_ == BodyFraming::Tunnel) {
    completeExchange(false);
    closeAfterFlush();
    return;
  }
  if (response_chunked_) {
    if (response_trailers_.empty()) {
      writeLastChunk(conn_->output());
    } else {
      writeLastChunkWithTrailers(conn_->output(), response_trailers_);
      response_trailers_ = HeaderMap();
    }
  }
  if (!request_done_ && keep_alive_) {
    // Read and drop the rest of the request body so the connection can carry the next one;
    // a client that never sends it is timed out like any idle one.
    discarding_body_ = true;
    body_wanted_ = true;
    conn_->setTimeouts(settings_.client_idle, settings_.client_idle);
    conn_->setReading(true);
    scheduleProcess();
  }
  maybeFinishExchange();
}

void Http1ServerConnection::sendTrailers(const HeaderMap& trailers) {
  if (response_chunked_) response_trailers_ = trailers;  // else nowhere to put them: dropped
}

size_t Http1ServerConnection::pendingOutput() const {
  return closed_ ? 0 : evbuffer_get_length(conn_->output());
}

void Http1ServerConnection::onDrained() {
  if (closed_) return;
  if (closing_) {
    if (pendingOutput() == 0) closeAfterFlush();
    return;
  }
  if (exchange_ && exchange_->handler()) exchange_->handler()->onDownstreamDrained();
}

// --- completion and closing ----------------------------------------------------------------

void Http1ServerConnection::maybeFinishExchange() {
  if (!response_done_) return;
  // The response is out: log the exchange now, even if the request body is still being dropped.
  if (exchange_) completeExchange(false);
  if (!keep_alive_ || client_eof_) {
    closeAfterFlush();
    return;
  }
  if (!request_done_) return;  // discarding the body's rest; finishRequestBody() calls back
  discarding_body_ = false;
  body_wanted_ = false;
  conn_->setReading(true);
  armTimer(TimerMode::Idle, settings_.client_idle);
  // A pipelined request may already be waiting (or, shutting down, the close is due); new
  // bytes will call onReadable() by themselves.
  if (evbuffer_get_length(conn_->input()) > 0 || shutting_down_) scheduleProcess();
}

void Http1ServerConnection::completeExchange(bool aborted) {
  if (!exchange_) return;
  if (aborted) exchange_->record().aborted = true;
  // nginx's 499: the client closed the connection before any response status was sent.
  if (aborted && exchange_->record().status == 0) exchange_->record().status = 499;
  dispatcher_.onComplete(*exchange_);
  // The handler may be the caller several frames up: destroy it after the callback returns.
  loop_.deferDelete(std::move(exchange_));
}

void Http1ServerConnection::abort() {
  if (closed_) return;
  completeExchange(true);
  closeNow();
}

void Http1ServerConnection::reject(int status, std::string_view why) {
  const bool had_exchange = exchange_ != nullptr;
  if (exchange_) {
    if (http::Handler* h = exchange_->handler()) h->onDownstreamReset();
    if (response_started_) {
      abort();
      return;
    }
    exchange_->record().status = status;
    completeExchange(true);
  }
  linger_needed_ = true;  // the client may be mid-send: drain before closing
  std::string body = errorBody(status, why);
  ResponseHead head = errorHead(status, body.size());
  if (!had_exchange) logRejected(status, body.size());
  evbuffer* out = conn_->output();
  writeResponseHead(out, head,
                    fmt::format("Content-Length: {}\r\nConnection: close\r\n", body.size()));
  evbuffer_add(out, body.data(), body.size());
  keep_alive_ = false;
  closeAfterFlush();
}

void Http1ServerConnection::closeAfterFlush() {
  if (closed_) return;
  closing_ = true;
  timer_.cancel();
  conn_->setTimeouts(Duration::zero(), settings_.client_idle);  // a reader that stalls is dropped
  if (pendingOutput() > 0) return;  // onDrained() calls back once flushed
  if (lingering_) return;
  const bool client_may_still_send =
      linger_needed_ || !request_done_ || evbuffer_get_length(conn_->input()) > 0;
  if (client_eof_ || !client_may_still_send) {
    conn_->shutdownWrite();
    closeNow();
    return;
  }
  // Lingering close: the client may still be sending (a body we refused, pipelined requests).
  // Closing with unread bytes makes the kernel send a reset, which can destroy the response
  // before the client reads it. So: FIN first, then read and drop input for a moment.
  lingering_ = true;
  conn_->shutdownWrite();
  conn_->setTimeouts(Duration::zero(), Duration::zero());
  conn_->setReading(true);
  armTimer(TimerMode::Linger, kLingerTime);
}

void Http1ServerConnection::logRejected(int status, size_t bytes) {
  // A request refused before it had a valid head still gets its access-log line.
  RequestHead head;
  head.method = "-";
  head.target = "-";
  Exchange rejected(std::move(head), client_, ids_.next().view(), *this);
  rejected.record().status = status;
  rejected.record().bytes_sent = bytes;
  dispatcher_.onComplete(rejected);
}

void Http1ServerConnection::closeNow() {
  if (closed_) return;
  if (exchange_) {
    if (http::Handler* h = exchange_->handler()) h->onDownstreamReset();
    completeExchange(true);
  }
  closed_ = true;
  timer_.cancel();
  event_del(process_event_.get());
  conn_->close();
  on_closed_(this);
}

void Http1ServerConnection::onClose(net::TcpConnection::CloseReason reason) {
  if (closed_) return;
  if (reason != net::TcpConnection::CloseReason::Eof) {
    closeNow();  // reset, or a client too slow to read or send: nobody to answer
    return;
  }
  client_eof_ = true;
  if (lingering_) {
    closeNow();
  } else if (closing_ || !exchange_) {
    closeAfterFlush();  // what is queued still goes out; client_eof_ then closes at once
  } else if (framing_ == BodyFraming::Tunnel) {
    // The client ended its half of the tunnel: let the handler finish the other half.
    request_done_ = true;
    if (http::Handler* h = exchange_->handler()) h->onRequestEnd();
  } else {
    process();  // bytes read together with the FIN may complete the body
    // A FIN before the response is complete: the client went away (a browser tab closed, a
    // timeout on its side). Like nginx, and unlike HAProxy's default, this aborts the
    // exchange so the backend stops working for nobody; a client that half-closes after its
    // request is indistinguishable from one that left, and rarer.
    if (!closed_ && exchange_) closeNow();
  }
}

void Http1ServerConnection::armTimer(TimerMode mode, Duration after) {
  timer_mode_ = mode;
  timer_.arm(after);
}

void Http1ServerConnection::onTimer() {
  // Client timeouts close quietly: there is nobody to answer to.
  TimerMode mode = timer_mode_;
  if (mode == TimerMode::Idle && pendingOutput() > 0) {
    // Still sending the last response: a slow reader is the write timeout's business.
    armTimer(TimerMode::Idle, settings_.client_idle);
    return;
  }
  timer_mode_ = TimerMode::None;
  if (mode == TimerMode::Header) log::debug("client {}: head not received in time", client_.ip);
  closeNow();
}

}  // namespace gatehouse::http
