#pragma once
// Http1BodyReader: the body of one HTTP/1 message as it arrives (RFC 9112 §6), framed as its
// head said (Content-Length, chunked, or until the peer closes). It takes body bytes from a
// connection's input buffer, decodes them into another buffer and leaves whatever follows the
// body (the next pipelined message) in the input. Both ends of the proxy read bodies through it:
// Http1ServerConnection the client's request bodies, upstream::BackendConnection the backend's
// responses. It only frames: what to answer when a body goes wrong is the caller's.
//
//   Reading --declared end (length reached, last chunk and trailers)--> Done
//   Reading --peer closed: close-delimited--> Done;  other framings--> Truncated
//   Reading --bad chunk syntax--> Malformed;  --more than max_body bytes--> TooLarge
// A body without framing (None, or a Content-Length of 0) is Done as soon as it starts.

#include <event2/buffer.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/header_map.h"
#include "proxy/http/http1_parser.h"

namespace gatehouse::http {

class Http1BodyReader {
 public:
  enum class State : uint8_t { Reading, Done, Malformed, TooLarge, Truncated };
  static constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

  // Starts the next body, framed as the parser found it in the head (content_length counts
  // only with ContentLength). UntilClose also carries a tunnel's bytes. A body longer than
  // max_body ends TooLarge; a Content-Length above it is better refused before starting.
  void start(BodyFraming framing, uint64_t content_length, uint64_t max_body = kNoLimit);

  // While Reading: moves the body bytes `in` holds to the end of `out`, decoded, and leaves any
  // bytes past the body's end in `in`. Returns how many body bytes it added to `out`. In any
  // other state it takes nothing.
  uint64_t read(evbuffer* in, evbuffer* out);
  // The peer closed its side: a close-delimited body ends here, a body still Reading is
  // Truncated.
  void endOfInput();

  State state() const { return state_; }
  bool done() const { return state_ == State::Done; }
  ParseError error() const { return error_; }  // what was wrong, when Malformed
  BodyFraming framing() const { return framing_; }
  uint64_t remaining() const { return remaining_; }  // ContentLength: bytes still to come
  uint64_t received() const { return received_; }    // body bytes read since start()
  // Replaces the limit given to start(): a body that nobody reads any more is bounded by its
  // reader's own budget instead.
  void setMaxBody(uint64_t max_body) { max_body_ = max_body; }

  // The trailer fields that ended a chunked body, in arrival order (RFC 9112 §7.1.2). The
  // caller must not merge them into the head (RFC 9110 §6.5.1).
  bool hasTrailers() const { return chunked_ && !chunked_->trailers().empty(); }
  void addTrailersTo(HeaderMap& fields) const;

 private:
  uint64_t readChunked(evbuffer* in, evbuffer* out);

  BodyFraming framing_ = BodyFraming::None;
  State state_ = State::Done;
  ParseError error_ = ParseError::None;
  uint64_t remaining_ = 0;
  uint64_t received_ = 0;
  uint64_t max_body_ = kNoLimit;
  std::optional<ChunkedDecoder> chunked_;  // with Chunked framing only
};

}  // namespace gatehouse::http
