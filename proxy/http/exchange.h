#pragma once
// One request and its response: the same object for every protocol. The codec that received
// the request owns the Exchange and implements Downstream; the pipeline attaches a Handler that
// produces the response. Past the codec, nothing knows whether it speaks HTTP/1.1 or HTTP/2.
//
// Bodies move as evbuffers (the bytes are handed over, not copied). Backpressure both ways:
//   response: the handler checks pendingOutput() and stops reading its source above the high
//             watermark; the codec calls Handler::onDownstreamDrained() once below the low one.
//   request:  the codec delivers body only while the handler has called resumeRequestBody().
//             Nothing is read before that, which is also when a 100 Continue goes out.

#include <event2/buffer.h>

#include <chrono>
#include <memory>
#include <string>

#include "proxy/base/inline_buffer.h"
#include "proxy/http/message.h"

namespace gatehouse::http {

// The codec's side: where the response goes.
class Downstream {
 public:
  virtual ~Downstream() = default;
  virtual void sendHead(const ResponseHead& head) = 0;
  virtual void sendBody(evbuffer* data) = 0;  // drains data
  // The same for bytes in memory that the caller keeps: copied. The default goes through
  // sendBody(); a codec that can copy straight into its output overrides it.
  virtual void sendBodyBytes(std::string_view bytes);
  // A whole response whose body is in memory (empty for none): by default head, body and end;
  // a codec may send it in one write.
  virtual void sendWhole(const ResponseHead& head, std::string_view body);
  // The same when `body` lives in an immutable object that `owner` keeps alive (a stored
  // response): a codec that sends the body later, as HTTP/2 does behind its flow-control
  // windows, may keep `owner` and write the body straight from it, without a copy to hold it
  // meanwhile. The default copies as sendWhole() does.
  virtual void sendWholeShared(const ResponseHead& head, std::string_view body,
                               std::shared_ptr<const void> /*owner*/) {
    sendWhole(head, body);
  }
  virtual void sendEnd() = 0;
  // An interim response (1xx other than 100 and 101, RFC 9110 §15.2: 103 Early Hints above all)
  // before the final head. Codecs that cannot carry it (HTTP/1.0) drop it.
  virtual void sendInterim(const ResponseHead& /*head*/) {}
  // Trailer fields to send with the end of the body; before sendEnd(). Codecs that cannot
  // carry them (an HTTP/1.1 response with Content-Length) drop them.
  virtual void sendTrailers(const HeaderMap& /*trailers*/) {}
  virtual size_t pendingOutput() const = 0;
  virtual void pauseRequestBody() = 0;
  virtual void resumeRequestBody() = 0;  // the first call also answers Expect: 100-continue
  virtual void abort() = 0;              // the response cannot be completed: reset the stream
  // Whether sendBody() may be given file segments (evbuffer_add_file_segment) to go out with
  // sendfile(2): only a connection with one response at a time, plain TCP or TLS done by the
  // kernel (kTLS), can.
  virtual bool canSendFile() const { return false; }
};

class Exchange;

// Policy a response head passes on its way out, set on an exchange by the pipeline (HSTS on a
// TLS listener). The codec's Exchange knows no policy: it only asks.
class ResponseHeadPolicy {
 public:
  virtual ~ResponseHeadPolicy() = default;
  // Whether `head` needs apply(); called for every head, so it must be cheap.
  virtual bool applies(const Exchange& exchange, const ResponseHead& head) const = 0;
  virtual void apply(const Exchange& exchange, ResponseHead& head) const = 0;
};

// The handler's side: what it is told about the downstream.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void onRequestBody(evbuffer* data) = 0;  // drains data
  virtual void onRequestEnd() = 0;
  virtual void onDownstreamDrained() = 0;
  virtual void onDownstreamReset() = 0;  // client gone: stop, release resources, no more calls
};

// What the access log and counters read when the exchange completes.
struct ExchangeRecord {
  int status = 0;
  uint64_t bytes_sent = 0;         // response body bytes
  uint64_t bytes_received = 0;     // request body bytes
  std::string server;              // "pool/server" that answered, if any
  InlineBuffer<128> cache_status;  // filled by the cache (no allocation on a hit)
  bool aborted = false;
};

// The client's connection as the exchange sees it: who, over what, through which listener
// (whose options, such as HSTS and redirect_https, are the pipeline's business).
struct ClientInfo {
  std::string ip;
  uint16_t port = 0;
  bool tls = false;
  std::string_view protocol = "HTTP/1.1";  // for the access log: HTTP/1.0, HTTP/1.1, HTTP/2
  uint16_t listener = 0;                   // index of its listener in the config
};

class Exchange {
 public:
  static constexpr size_t kHighWatermark = 256 * 1024;
  static constexpr size_t kLowWatermark = 64 * 1024;

  Exchange(RequestHead request, ClientInfo client, std::string_view request_id,
           Downstream& downstream)
      : request_(std::move(request)),
        client_(std::move(client)),
        downstream_(&downstream),
        started_(std::chrono::steady_clock::now()) {
    request_id_.append(request_id);
  }
  // An exchange reused request after request (HTTP/1.1, ExchangePool): empty until restart().
  Exchange(ClientInfo client, Downstream& downstream)
      : client_(std::move(client)), downstream_(&downstream) {}

  // The next request on a reused exchange, whose head the caller has just filled in request()
  // (in place: its strings and fields keep their capacity, http1_request_head.h), for `client`
  // through `downstream`. Everything else of the previous request is cleared: handler (taken
  // by then), policy, record, request trailers, head sent; the start time is now. The caller
  // makes sure nothing still holds the previous request (ExchangePool takes an exchange back
  // only after the callback that finished it).
  void restart(const ClientInfo& client, Downstream& downstream, std::string_view request_id);
  // The handler, handed over to be destroyed after the current callback, apart from the
  // exchange that may be reused (it may be the caller several frames up).
  std::unique_ptr<Handler> takeHandler() { return std::move(handler_); }
  // The heap this exchange holds beyond its own size, room included (what a pool keeps).
  size_t retainedBytes() const;

  const RequestHead& request() const { return request_; }
  RequestHead& request() { return request_; }
  const ClientInfo& client() const { return client_; }
  std::string_view requestId() const { return request_id_.view(); }
  std::chrono::steady_clock::time_point started() const { return started_; }
  ExchangeRecord& record() { return record_; }
  const ExchangeRecord& record() const { return record_; }

  void setHandler(std::unique_ptr<Handler> handler) { handler_ = std::move(handler); }
  // Every response head passes `policy` (outliving this exchange) on its way out.
  void setResponsePolicy(const ResponseHeadPolicy* policy) { policy_ = policy; }
  // The downstream takes file segments for sendfile(2) (Downstream::canSendFile()).
  bool canSendFile() const { return downstream_->canSendFile(); }
  Handler* handler() const { return handler_.get(); }

  // The handler's calls. respond*() record what the access log needs on the way through.
  void respondHead(const ResponseHead& head);
  // An interim response (1xx) ahead of the head; nothing once the head went out.
  void respondInterim(const ResponseHead& head) {
    if (!head_sent_) downstream_->sendInterim(head);
  }
  void respondBody(evbuffer* data) {
    record_.bytes_sent += evbuffer_get_length(data);
    downstream_->sendBody(data);
  }
  void respondEnd() { downstream_->sendEnd(); }
  void respondTrailers(const HeaderMap& trailers) { downstream_->sendTrailers(trailers); }
  // Trailer fields that ended the request body (chunked or HTTP/2), set by the codec before
  // Handler::onRequestEnd().
  HeaderMap& requestTrailers() { return request_trailers_; }
  // Answers with a short generated page, or aborts if a head already went out.
  void respondError(int status, std::string_view detail);
  // A whole response whose body is in memory: sets its length, and sends no body to a HEAD.
  void respondWhole(ResponseHead head, std::string_view body);
  // The same for a body inside an immutable object that `owner` keeps alive (a stored
  // response): the codec may keep a reference rather than copy it (sendWholeShared).
  void respondWhole(ResponseHead head, std::string_view body, std::shared_ptr<const void> owner);
  bool headSent() const { return head_sent_; }
  bool downstreamFull() const { return downstream_->pendingOutput() > kHighWatermark; }
  void pauseRequestBody() { downstream_->pauseRequestBody(); }
  void resumeRequestBody() { downstream_->resumeRequestBody(); }
  void abort() {
    record_.aborted = true;
    downstream_->abort();
  }

 private:
  RequestHead request_;
  ClientInfo client_;
  InlineBuffer<128> request_id_;  // no allocation per request
  Downstream* downstream_;        // never null; a pointer so that a reused exchange can change it
  std::unique_ptr<Handler> handler_;
  const ResponseHeadPolicy* policy_ = nullptr;
  ExchangeRecord record_;
  HeaderMap request_trailers_;
  std::chrono::steady_clock::time_point started_;
  bool head_sent_ = false;
};

// Where a codec hands each new exchange, and reports it done. The pipeline implements it.
class ExchangeDispatcher {
 public:
  virtual ~ExchangeDispatcher() = default;
  // Attaches a handler and starts it; the handler may answer at once.
  virtual void dispatch(Exchange& exchange) = 0;
  // Called once, when both directions have finished (or the exchange was aborted).
  virtual void onComplete(const Exchange& exchange) = 0;
};

}  // namespace gatehouse::http
