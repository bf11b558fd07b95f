#include "proxy/http/chunked_decoder.h"

#include <algorithm>
#include <charconv>

#include "proxy/base/ascii.h"

namespace gatehouse::http {
namespace {

bool isBws(char c) {
  return c == ' ' || c == '\t';
}

// qdtext (RFC 9110 §5.6.4) without the '"' and '\' that the caller handles first.
bool isQdText(char c) {
  auto u = static_cast<uint8_t>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7F);
}

// The byte after "\" in a quoted-pair: HTAB, SP, VCHAR or obs-text.
bool isQuotedPairByte(char c) {
  return isQdText(c);
}

}  // namespace

ChunkedDecoder::ChunkedDecoder(size_t max_trailer_bytes) : max_trailer_bytes_(max_trailer_bytes) {}

void ChunkedDecoder::fail(ParseError error) {
  state_ = State::Failed;
  error_ = error;
}

// chunk-size [ chunk-ext ] CRLF, where
//   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS ( token / quoted-string ) ] )
// One byte at a time, so a line split anywhere needs no buffer and a bad byte fails at once.
void ChunkedDecoder::sizeLineByte(char c) {
  if (++line_bytes_ > kMaxSizeLine) return fail(ParseError::BadChunkExtension);
  if (c == '\n' && state_ != State::SizeLf) return fail(ParseError::BareCrOrLf);
  const bool token = ascii::isTokenChar(c);
  auto next = [this](State s) { state_ = s; };
  switch (state_) {
    case State::Size:
      if (int v = ascii::hexValue(c); v >= 0) {
        if (size_digits_ == kMaxSizeDigits) return fail(ParseError::ChunkSizeOverflow);
        remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
        ++size_digits_;
        return;
      }
      if (size_digits_ == 0) return fail(ParseError::BadChunkSize);
      if (c == '\r') return next(State::SizeLf);
      if (c == ';') return next(State::ExtBwsBeforeName);
      if (isBws(c)) return next(State::ExtBws);
      return fail(ParseError::BadChunkSize);
    case State::ExtBws:
      if (isBws(c)) return;
      if (c == ';') return next(State::ExtBwsBeforeName);
      break;
    case State::ExtBwsBeforeName:
      if (isBws(c)) return;
      if (token) return next(State::ExtName);
      break;
    case State::ExtName:
      if (token) return;
      if (c == '\r') return next(State::SizeLf);
      if (c == ';') return next(State::ExtBwsBeforeName);
      if (c == '=') return next(State::ExtBwsBeforeValue);
      if (isBws(c)) return next(State::ExtBwsAfterName);
      break;
    case State::ExtBwsAfterName:
      if (isBws(c)) return;
      if (c == ';') return next(State::ExtBwsBeforeName);
      if (c == '=') return next(State::ExtBwsBeforeValue);
      break;
    case State::ExtBwsBeforeValue:
      if (isBws(c)) return;
      if (c == '"') return next(State::ExtQuoted);
      if (token) return next(State::ExtToken);
      break;
    case State::ExtToken:
    case State::ExtAfterQuoted:
      if (token && state_ == State::ExtToken) return;
      if (c == '\r') return next(State::SizeLf);
      if (c == ';') return next(State::ExtBwsBeforeName);
      if (isBws(c)) return next(State::ExtBws);
      break;
    case State::ExtQuoted:
      if (c == '"') return next(State::ExtAfterQuoted);
      if (c == '\\') return next(State::ExtQuotedPair);
      if (isQdText(c)) return;
      break;
    case State::ExtQuotedPair:
      if (isQuotedPairByte(c)) return next(State::ExtQuoted);
      break;
    case State::SizeLf:
      if (c != '\n') return fail(ParseError::BareCrOrLf);
      line_bytes_ = 0;
      size_digits_ = 0;
      return next(remaining_ == 0 ? State::Trailer : State::Data);
    default:
      break;
  }
  fail(ParseError::BadChunkExtension);
}

// trailer-section = *( field-line CRLF ) CRLF. Bytes are copied up to and including one LF;
// the limit is checked before the line is judged, so the outcome does not depend on where the
// input was split.
size_t ChunkedDecoder::trailerBytes(std::string_view input) {
  size_t lf = input.find('\n');
  size_t n = lf == std::string_view::npos ? input.size() : lf + 1;
  if (n > max_trailer_bytes_ - trailer_bytes_) {
    fail(ParseError::TrailersTooLarge);
    return n;
  }
  trailer_bytes_ += n;
  line_.append(input.data(), n);
  if (lf != std::string_view::npos) finishTrailerLine();
  return n;
}

void ChunkedDecoder::finishTrailerLine() {
  FieldLineScan scan = scanFieldLine(line_, 0);
  switch (scan.kind) {
    case FieldLineScan::Kind::EndOfSection:
      state_ = State::Done;
      break;
    case FieldLineScan::Kind::Field:
      trailers_.emplace_back(std::string(scan.field.name), std::string(scan.field.value));
      break;
    case FieldLineScan::Kind::Error:
      return fail(scan.error);
    // line_ ends in LF, so the scan always reaches a line end; a stray Incomplete would mean a
    // bare line ending.
    case FieldLineScan::Kind::Incomplete:
      return fail(ParseError::BareCrOrLf);
  }
  line_.clear();
}

ChunkedDecoder::Step ChunkedDecoder::decode(std::string_view input) {
  Step step;
  size_t pos = 0;
  while (pos < input.size() && state_ != State::Done && state_ != State::Failed) {
    switch (state_) {
      case State::Data: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - pos));
        step.data = input.substr(pos, n);
        remaining_ -= n;
        pos += n;
        if (remaining_ == 0) state_ = State::DataCr;
        // One contiguous view per step: the caller forwards it, then asks again.
        step.consumed = pos;
        return step;
      }
      case State::DataCr: {
        char c = input[pos++];
        if (c == '\r') {
          state_ = State::DataLf;
        } else {
          fail(c == '\n' ? ParseError::BareCrOrLf : ParseError::BadChunkTerminator);
        }
        break;
      }
      case State::DataLf:
        if (input[pos++] != '\n')
          fail(ParseError::BareCrOrLf);
        else
          state_ = State::Size;
        break;
      case State::Trailer:
        pos += trailerBytes(input.substr(pos));
        break;
      default:
        sizeLineByte(input[pos++]);
        break;
    }
  }
  step.consumed = pos;
  step.done = state_ == State::Done;
  step.error = state_ == State::Failed ? error_ : ParseError::None;
  return step;
}

size_t formatChunkHeader(size_t n, char* out) {
  char* end = std::to_chars(out, out + kMaxChunkHeader, n, 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  return static_cast<size_t>(end - out);
}

std::string chunkHeader(size_t n) {
  char buf[kMaxChunkHeader];
  return std::string(buf, formatChunkHeader(n, buf));
}

}  // namespace gatehouse::http
