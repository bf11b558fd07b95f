// Http1ServerConnection, the response side: the Downstream calls through which a handler's
// response goes out, and the decisions taken with its head (framing, keep-alive).
#include <charconv>

#include "proxy/http/http1_server_connection.h"
#include "proxy/http/http1_writer.h"

namespace gatehouse::http {

void Http1ServerConnection::sendHead(const ResponseHead& head) {
  if (!isOpen(state_) || response_ != ResponseState::None) return;
  if (head.status == 101) {
    // Switching protocols: from here on both directions are opaque bytes.
    advance(response_, ResponseEvent::Upgrade);
    facts_.response_body = ExchangeFacts::ResponseBody::Raw;
    writeResponseHead(conn_->output(), head, "Connection: upgrade\r\n");
    request_body_.start(http::BodyFraming::UntilClose, 0);
    advance(request_, RequestEvent::Upgrade);
    facts_.keep_alive = false;
    conn_->setTimeouts(Duration::zero(), Duration::zero());
    conn_->setReading(true);
    scheduleProcess();
    return;
  }
  InlineBuffer<128> extra;
  startResponse(head, extra);
  writeResponseHead(conn_->output(), head, extra.view());
}

void Http1ServerConnection::sendInterim(const ResponseHead& head) {
  if (!isOpen(state_) || response_ != ResponseState::None || !exchange_) return;
  // RFC 9110 §15.2: never to an HTTP/1.0 client.
  if (exchange_->request().version_minor == 0) return;
  writeResponseHead(conn_->output(), head, {});
}

void Http1ServerConnection::sendWhole(const ResponseHead& head, std::string_view body) {
  if (!isOpen(state_) || response_ != ResponseState::None || head.status == 101 ||
      !head.content_length)
    return Downstream::sendWhole(head, body);
  InlineBuffer<128> extra;
  startResponse(head, extra);
  // Head and body leave from here in one write when nothing is queued ahead of them; a small
  // body is copied behind the head, so that the write is a plain send(2).
  InlineBuffer<4096> bytes;
  writeResponseHeadTo(bytes.grow(responseHeadSize(head, extra.view())), head, extra.view());
  if (facts_.response_body == ExchangeFacts::ResponseBody::None) body = {};
  if (bytes.size() + body.size() <= 4096) {
    bytes.append(body);
    body = {};
  }
  conn_->writeNow(bytes.view(), body);
  sendEnd();
}

void Http1ServerConnection::startResponse(const ResponseHead& head, InlineBuffer<128>& extra) {
  using ResponseBody = ExchangeFacts::ResponseBody;
  // Framing fields, on the stack: a heap string here would cost an allocation per response.
  auto add = [&extra](std::string_view text) { extra.append(text); };
  advance(response_, ResponseEvent::Head);
  const bool body_allowed = head.has_body && !facts_.head_request;
  facts_.response_body = body_allowed ? ResponseBody::Raw : ResponseBody::None;
  facts_.keep_alive = facts_.request_keep_alive && state_ != ConnectionState::ShuttingDown;
  if (clientMayStillSend(request_)) {
    // The client is still sending. Without a 100 Continue it may never send the body, and a
    // large remainder is not worth reading: either way the connection ends after this answer.
    const BodyFraming framing = request_body_.framing();
    const bool small_rest = framing == http::BodyFraming::ContentLength &&
                            request_body_.remaining() <= kMaxDiscardBytes;
    const bool continue_owed = facts_.expect_continue && request_ == RequestState::AwaitingResume;
    if (continue_owed || !(small_rest || framing == http::BodyFraming::Chunked))
      facts_.keep_alive = false;
  }
  if (head.content_length) {
    char digits[24];
    char* end = std::to_chars(digits, digits + sizeof digits, *head.content_length).ptr;
    add("Content-Length: ");
    add(std::string_view(digits, static_cast<size_t>(end - digits)));
    add("\r\n");
  } else if (head.has_body) {
    if (exchange_ && exchange_->request().version_minor >= 1) {
      if (body_allowed) facts_.response_body = ResponseBody::Chunked;
      add("Transfer-Encoding: chunked\r\n");
    } else {
      facts_.keep_alive = false;  // an HTTP/1.0 client learns the end from the close
    }
  }
  if (!facts_.keep_alive) {
    add("Connection: close\r\n");
  } else if (exchange_ && exchange_->request().version_minor == 0) {
    add("Connection: keep-alive\r\n");
  }
}

void Http1ServerConnection::sendBody(evbuffer* data) {
  using ResponseBody = ExchangeFacts::ResponseBody;
  if (!isOpen(state_) || response_ == ResponseState::None ||
      facts_.response_body == ResponseBody::None) {
    evbuffer_drain(data, evbuffer_get_length(data));
    return;
  }
  evbuffer* out = conn_->output();
  if (facts_.response_body == ResponseBody::Chunked)
    writeChunk(out, data);
  else
    evbuffer_add_buffer(out, data);
}

void Http1ServerConnection::sendBodyBytes(std::string_view bytes) {
  using ResponseBody = ExchangeFacts::ResponseBody;
  // Chunk framing needs a buffer: through sendBody().
  if (facts_.response_body == ResponseBody::Chunked) return Downstream::sendBodyBytes(bytes);
  if (!isOpen(state_) || response_ == ResponseState::None ||
      facts_.response_body == ResponseBody::None)
    return;
  evbuffer_add(conn_->output(), bytes.data(), bytes.size());  // beside the head, in one chain
}

void Http1ServerConnection::sendEnd() {
  if (!isOpen(state_) || response_ == ResponseState::Done) return;
  const bool tunnel = response_ == ResponseState::Tunnel;
  advance(response_, ResponseEvent::End);
  if (tunnel) {
    completeExchange(false);
    closeAfterFlush();
    return;
  }
  if (facts_.response_body == ExchangeFacts::ResponseBody::Chunked) {
    if (response_trailers_.empty()) {
      writeLastChunk(conn_->output());
    } else {
      writeLastChunkWithTrailers(conn_->output(), response_trailers_);
      response_trailers_ = HeaderMap();
    }
  }
  const RequestState before = request_;
  if (facts_.keep_alive && advance(request_, RequestEvent::ResponseEndedFirst)) {
    // Read and drop the rest of the request body so the connection can carry the next one.
    startDiscarding(before);
  }
  maybeFinishExchange();
}

void Http1ServerConnection::sendTrailers(const HeaderMap& trailers) {
  // Only a chunked body can carry them; otherwise they are dropped.
  if (facts_.response_body == ExchangeFacts::ResponseBody::Chunked) response_trailers_ = trailers;
}

size_t Http1ServerConnection::pendingOutput() const {
  return state_ == ConnectionState::Closed ? 0 : evbuffer_get_length(conn_->output());
}

void Http1ServerConnection::onDrained() {
  if (state_ == ConnectionState::Closed) return;
  if (!isOpen(state_)) {
    if (pendingOutput() == 0) closeAfterFlush();
    return;
  }
  if (exchange_ && exchange_->handler()) exchange_->handler()->onDownstreamDrained();
}

}  // namespace gatehouse::http
