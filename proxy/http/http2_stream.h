#pragma once
// One HTTP/2 stream of an Http2ServerConnection: it collects the request head from the HEADERS
// block, owns the stream's Exchange and is its Downstream. Request body bytes wait in a buffer
// (bounded by the stream window, made only for a stream that has a body) until the handler asks
// for them; response body bytes wait in another (made for the first of them) until nghttp2 pulls
// them into DATA frames, without copying (NO_COPY). A stored response's body waits in no
// buffer: the stream keeps the object and writes the frames straight from it. The request half
// is in http2_stream.cc, the response half in http2_stream_response.cc.
//
// Life: created on the first HEADERS of a request; the connection calls onClosed() once when
// nghttp2 closes the stream, which completes the Exchange, and then deletes the stream after
// the current callback (a handler may be several frames up). After onClosed() every Downstream
// call is a no-op.

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http/body_rate.h"
#include "proxy/http/exchange.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/net/timer.h"

namespace gatehouse::http {

class Http2ServerConnection;

class Http2Stream final : public Downstream {
 public:
  Http2Stream(Http2ServerConnection& conn, int32_t id);
  ~Http2Stream() override;
  Http2Stream(const Http2Stream&) = delete;
  Http2Stream& operator=(const Http2Stream&) = delete;

  int32_t id() const { return id_; }

  // Request fields onRequestHead() must act on, noted as they arrive (bits of seen_).
  struct Seen {
    static constexpr uint8_t kContentLength = 1, kExpect = 2, kHopByHop = 4, kRequestId = 8,
                             kHost = 16;
  };

  // --- events from the session, in order ---
  // One field of the request head (pseudo-headers first; nghttp2 checked the order and
  // syntax) or of the trailers. Fields past max_header_list_size are counted, not kept.
  void onHeaderField(std::string_view name, std::string_view value, bool trailer);
  // The request head is complete: answers it (431, 413, 501) or dispatches an Exchange.
  void onRequestHead(bool end_stream);
  void onData(const uint8_t* data, size_t len);
  void onRemoteEnd();  // END_STREAM received: the request is complete
  // The response is on the wire: if the client is still sending, reset the stream.
  void stopUpload();
  void onResponseSent();  // END_STREAM sent: the response is complete
  void deliverBody();     // hands buffered body to the handler if it wants it
  // The response cannot go out: RST_STREAM(INTERNAL_ERROR); the handler hears the reset.
  void failResponse() { resetStream(NGHTTP2_INTERNAL_ERROR); }
  // The stream is gone (error_code from RST_STREAM or NO_ERROR). Completes the Exchange.
  void onClosed(uint32_t error_code);
  // The handler wants request body, has all we received, and the client has not ended.
  bool awaitingBody() const;
  // A RST_STREAM we send that the client did not cause (a handler's abort, or a graceful end).
  bool resetByUs() const { return reset_by_us_; }

  // --- the response body, pulled by nghttp2 ---
  static ssize_t readResponse(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                              uint32_t* data_flags, nghttp2_data_source* source, void*);
  // Moves one DATA frame's payload straight from the body buffer (or the kept body) into
  // `out`; false if `out` could not take it (no memory).
  bool writeData(evbuffer* out, const uint8_t* framehd, size_t length, size_t padlen);
  bool responding() const { return response_started_ && !response_done_ && !closed_; }
  // Response body waits here for the client (its window, or the connection's output).
  bool sendWaiting() const { return responding() && bodyQueued() > 0; }
  // Since when it waits without having moved (meaningful while sendWaiting()).
  std::chrono::steady_clock::time_point sendWaitingSince() const { return send_waiting_since_; }
  // The body could not move for send_timeout: RST_STREAM(CANCEL), and the handler is let go
  // now, not once the reset is out (which may wait behind the same full socket).
  void giveUpSending();
  // Tells the handler it may send again once its queued bytes fell under the low watermark.
  void notifyDrainedIfOwed();

  // Downstream
  void sendHead(const ResponseHead& head) override;
  void sendInterim(const ResponseHead& head) override;
  void sendBody(evbuffer* data) override;
  void sendBodyBytes(std::string_view bytes) override;
  void sendWholeShared(const ResponseHead& head, std::string_view body,
                       std::shared_ptr<const void> owner) override;
  void sendEnd() override;
  void sendTrailers(const HeaderMap& trailers) override;
  size_t pendingOutput() const override;
  void pauseRequestBody() override;
  void resumeRequestBody() override;
  void abort() override;

 private:
  void finishBody(uint32_t* data_flags);
  // Response body bytes not yet in a DATA frame: the buffer's and the kept body's.
  size_t bodyQueued() const {
    return kept_body_.size() + (response_body_ ? evbuffer_get_length(response_body_.get()) : 0);
  }
  void dropQueuedBody();
  bool writeKeptData(evbuffer* out, const uint8_t* framehd, size_t length, size_t padlen);
  void bodyMoved(size_t length);  // `length` bytes went into a DATA frame
  // Whether n more response body bytes may be queued; if so they are counted as queued.
  bool acceptBody(size_t n);
  size_t requestBuffered() const;
  size_t dropRequestBuffered();  // returns how many bytes it dropped
  void reject(int status, std::string_view why);
  // The request's :scheme, :path, :authority and Host, judged as HTTP/1 judges its request-line
  // and Host; fills an absent :authority from Host. Null when valid, else why not.
  const char* checkTargetAndAuthority();
  void resetStream(uint32_t error_code);
  void consume(size_t n);
  void sendInformational(int status);
  Handler* handler() const;
  void resumeData();
  // The body rate (timeouts.client_body, limits.min_body_rate), timed only while the handler
  // wants the body: a stream that sends none gets no timer.
  void startBodyWindow();
  void onBodyWindowEnded();
  bool restWithinDropBudget() const;
  void dropRest();

  Http2ServerConnection* conn_;  // null once closed: the connection may be gone
  int32_t id_;
  RequestHead head_;  // filled field by field until onRequestHead moves it out
  size_t header_bytes_ = 0;
  bool header_too_large_ = false;
  uint8_t seen_ = 0;                // Seen bits
  std::string cookies_;             // HTTP/2 splits Cookie (RFC 9113 §8.2.3); rejoined with "; "
  net::EvbufferPtr request_body_;   // made for the first body bytes
  net::EvbufferPtr response_body_;  // made for the first body bytes sent through it
  // A stored response's body, kept by its owner rather than copied (sendWholeShared); never
  // beside bytes in response_body_.
  std::string_view kept_body_;
  std::shared_ptr<const void> kept_body_owner_;
  HeaderMap response_trailers_;  // sent as a HEADERS frame after the last DATA
  std::chrono::steady_clock::time_point send_waiting_since_;
  uint64_t body_received_ = 0;
  size_t unconsumed_ = 0;    // received bytes not yet given back to the flow-control windows
  size_t owed_consume_ = 0;  // bytes the handler took while paused: consumed on resume
  BodyRate body_rate_;
  std::unique_ptr<net::Timer> body_timer_;  // made on the first resume
  bool dispatched_ = false;
  bool handler_detached_ = false;  // told onDownstreamReset, or replaced by our error answer
  bool discard_body_ = false;      // the answer is ours: request bytes are dropped
  bool dropping_rest_ = false;     // answered; the rest of the body is taken and dropped
  uint64_t dropped_ = 0;           // request body bytes dropped since the answer
  bool body_wanted_ = false;
  bool expect_continue_ = false;
  bool remote_ended_ = false;
  bool request_end_delivered_ = false;
  bool response_started_ = false;
  bool body_allowed_ = false;
  bool response_ended_ = false;  // sendEnd() called
  bool response_done_ = false;   // END_STREAM sent
  bool deferred_ = false;        // nghttp2 waits for resumeData()
  // Set when pendingOutput() answered above the low watermark: whoever asked may have paused,
  // so onDownstreamDrained() is owed once it falls below.
  mutable bool drain_owed_ = false;
  bool reset_by_us_ = false;
  bool aborted_by_handler_ = false;
  bool closed_ = false;
  // Last, so it is destroyed first: its handler may still use this Downstream while it goes.
  // Inside the stream, not an allocation of its own: they live and die together.
  std::optional<Exchange> exchange_;
};

}  // namespace gatehouse::http
