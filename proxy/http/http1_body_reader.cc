#include "proxy/http/http1_body_reader.h"

#include <algorithm>

namespace gatehouse::http {

void Http1BodyReader::start(BodyFraming framing, uint64_t content_length, uint64_t max_body) {
  framing_ = framing;
  error_ = ParseError::None;
  remaining_ = framing == BodyFraming::ContentLength ? content_length : 0;
  received_ = 0;
  max_body_ = max_body;
  if (framing == BodyFraming::Chunked)
    chunked_.emplace();
  else
    chunked_.reset();
  const bool empty =
      framing == BodyFraming::None || (framing == BodyFraming::ContentLength && remaining_ == 0);
  state_ = empty ? State::Done : State::Reading;
}

uint64_t Http1BodyReader::read(evbuffer* in, evbuffer* out) {
  if (state_ != State::Reading) return 0;
  uint64_t added = 0;
  switch (framing_) {
    case BodyFraming::None:
      break;
    case BodyFraming::ContentLength:
      added = std::min<uint64_t>(remaining_, evbuffer_get_length(in));
      evbuffer_remove_buffer(in, out, static_cast<size_t>(added));
      remaining_ -= added;
      if (remaining_ == 0) state_ = State::Done;
      break;
    case BodyFraming::Chunked:
      added = readChunked(in, out);
      break;
    case BodyFraming::UntilClose:
      added = evbuffer_get_length(in);
      evbuffer_add_buffer(out, in);
      break;
  }
  received_ += added;
  // Over the limit wins over the body's end, a malformed chunk over both: each is checked as
  // soon as the bytes that show it are read.
  if (received_ > max_body_ && state_ != State::Malformed) state_ = State::TooLarge;
  return added;
}

// Decodes the input where it lies, segment by segment, and drains it once at the end: a large
// body is never pulled up into one block, and bytes past the last chunk stay in `in`.
uint64_t Http1BodyReader::readChunked(evbuffer* in, evbuffer* out) {
  const size_t before = evbuffer_get_length(out);
  size_t consumed = 0;
  bool stalled = false;  // the decoder took nothing: it needs bytes that have not come yet
  evbuffer_ptr pos;
  evbuffer_ptr_set(in, &pos, 0, EVBUFFER_PTR_SET);
  evbuffer_iovec vec;
  while (state_ == State::Reading && !stalled && evbuffer_peek(in, -1, &pos, &vec, 1) > 0 &&
         vec.iov_len > 0) {
    std::string_view segment(static_cast<const char*>(vec.iov_base), vec.iov_len);
    while (state_ == State::Reading && !segment.empty()) {
      ChunkedDecoder::Step step = chunked_->decode(segment);
      if (step.error != ParseError::None) {
        error_ = step.error;
        state_ = State::Malformed;
        break;
      }
      if (!step.data.empty()) evbuffer_add(out, step.data.data(), step.data.size());
      segment.remove_prefix(step.consumed);
      consumed += step.consumed;
      if (step.done) state_ = State::Done;
      if (step.consumed == 0) {
        stalled = true;
        break;
      }
    }
    if (evbuffer_ptr_set(in, &pos, consumed, EVBUFFER_PTR_SET) != 0) break;
  }
  evbuffer_drain(in, consumed);
  return evbuffer_get_length(out) - before;
}

void Http1BodyReader::endOfInput() {
  if (state_ != State::Reading) return;
  state_ = framing_ == BodyFraming::UntilClose ? State::Done : State::Truncated;
}

void Http1BodyReader::addTrailersTo(HeaderMap& fields) const {
  if (!chunked_) return;
  for (const auto& [name, value] : chunked_->trailers())
    fields.add(name, value);
}

}  // namespace gatehouse::http
