#pragma once
// ChunkedDecoder: the chunked transfer coding of RFC 9112 §7.1, decoded incrementally from
// input split anywhere. Strict like Http1Parser: 1-16 hex digits per size, extensions validated
// (and ignored), CRLF and nothing else after every line and every chunk's data, trailers under
// the same field rules as the head. Body bytes are returned as views into the caller's input;
// only a partial trailer line is copied (bounded by max_trailer_bytes).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http/http1_parser.h"

namespace gatehouse::http {

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(size_t max_trailer_bytes = 65536);

  struct Step {
    size_t consumed = 0;    // bytes of input used by this step (data included)
    std::string_view data;  // body bytes decoded in this step, a view into input; may be empty
    bool done = false;      // the message ended; input past `consumed` is the next message
    ParseError error = ParseError::None;
  };

  // Consumes a prefix of input. `data` is body bytes decoded in this step, a view into input
  // (possibly empty). Call again on the remainder until all input is consumed, done, or error.
  // Partial chunk-size/extension/trailer lines are kept internally (bounded), so the caller
  // never has to re-present bytes. After done or an error, every call returns the same outcome
  // with consumed == 0.
  Step decode(std::string_view input);

  bool done() const { return state_ == State::Done; }
  // Trailer fields in arrival order, names as received. The caller must not merge them into the
  // head unless it knows a field is safe there (RFC 9110 §6.5.1).
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }

  // The longest chunk-size line accepted, extensions included.
  static constexpr size_t kMaxSizeLine = 4096;
  // Hex digits of a chunk size, leading zeros included: 16 digits fill a uint64_t.
  static constexpr size_t kMaxSizeDigits = 16;

 private:
  // One state per grammar position of RFC 9112 §7.1:
  //   Size -> [SizeBws | ExtName... ] -> SizeLf -> Data -> DataCr -> DataLf -> Size ...
  //   SizeLf with size 0 -> Trailer -> Done;  any state -> Failed
  enum class State : uint8_t {
    Size,               // 1*HEXDIG
    ExtBws,             // BWS before ";" (after the size or an extension)
    ExtBwsBeforeName,   // after ";"
    ExtName,            // chunk-ext-name
    ExtBwsAfterName,    // BWS between name and "=" or ";"
    ExtBwsBeforeValue,  // after "="
    ExtToken,           // token value
    ExtQuoted,          // inside a quoted-string value
    ExtQuotedPair,      // after "\" inside a quoted-string
    ExtAfterQuoted,     // after the closing quote
    SizeLf,             // CR seen at the end of the size line
    Data,
    DataCr,
    DataLf,
    Trailer,  // trailer section, line by line, into line_
    Done,
    Failed,
  };

  // Advances the size-line machine by one byte; sets error_ and Failed on a bad byte.
  void sizeLineByte(char c);
  void fail(ParseError error);
  // Appends trailer bytes (up to and including one LF) and handles a completed line.
  size_t trailerBytes(std::string_view input);
  void finishTrailerLine();

  size_t max_trailer_bytes_;
  State state_ = State::Size;
  ParseError error_ = ParseError::None;
  uint64_t remaining_ = 0;  // chunk size while in the size line, then bytes of data left
  size_t size_digits_ = 0;
  size_t line_bytes_ = 0;     // bytes of the current size line
  size_t trailer_bytes_ = 0;  // bytes of the trailer section so far
  std::string line_;          // the partial trailer line
  std::vector<std::pair<std::string, std::string>> trailers_;
};

// "<hex>\r\n" for a chunk of n > 0 bytes; the caller appends the data and "\r\n". A size of 0
// would end the body: use kLastChunk. The codecs' encoder (http1_writer) uses the same
// function, so the round-trip tests and fuzzer cover what goes on the wire.
inline constexpr size_t kMaxChunkHeader = 2 * sizeof(size_t) + 2;
// Writes the header into out (kMaxChunkHeader bytes) without allocating; returns its length.
size_t formatChunkHeader(size_t n, char* out);
std::string chunkHeader(size_t n);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace gatehouse::http
