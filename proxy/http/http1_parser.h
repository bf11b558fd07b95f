#pragma once
// Http1Parser: the strict HTTP/1.x head parser of RFC 9112, and the security boundary of the
// proxy. It is pure (no I/O, no libevent), zero-copy (every view points into the caller's buffer)
// and allocates nothing per parse. Like picohttpparser, the caller re-parses from the start of
// its buffer whenever more bytes arrive; the parser answers Incomplete until the head is whole.
//
// Strictness is the point: a request that a looser or stricter peer could frame differently
// (request smuggling) is rejected, never repaired. The scan runs left to right and decides each
// byte from the bytes before it, so feeding a head byte by byte yields Incomplete until exactly
// the outcome of the whole input, and bytes after a Complete or Error never change it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace gatehouse::http {

struct HeaderView {
  std::string_view name;
  std::string_view value;  // OWS-trimmed
};

enum class BodyFraming : uint8_t { None, ContentLength, Chunked, UntilClose };

enum class ParseError : uint8_t {
  None,
  BadRequestLine,
  BadMethod,
  BadTarget,
  UriTooLong,
  BadVersion,
  BadHeaderName,
  BadHeaderValue,
  ObsFold,
  BareCrOrLf,
  SpaceBeforeColon,
  HeadersTooLarge,
  TooManyHeaders,
  MissingHost,
  DuplicateHost,
  BadContentLength,
  DuplicateContentLength,
  ContentLengthWithChunked,
  BadTransferEncoding,
  BadStatusLine,
  BadChunkSize,
  ChunkSizeOverflow,
  BadChunkExtension,
  BadChunkTerminator,
  TrailersTooLarge,
  BadHost,  // Host is not a plausible authority (spaces, '/', '@', bad port, empty)
};

// The status a server answers the error with: 400 by default, 414 UriTooLong, 431 for the head
// limits.
int statusFor(ParseError error);
// Short English text for logs and error pages; never empty.
std::string_view describe(ParseError error);

struct ParseLimits {
  size_t request_line = 8192;  // bytes of the request line without its CRLF
  size_t headers = 65536;  // bytes of the whole head, leading empty lines and final CRLF included
  size_t header_count = 100;  // field lines
};

struct RequestHeadView {
  std::string_view method;
  std::string_view target;
  int version_minor = 1;  // HTTP/1.0 or HTTP/1.1 only
  std::span<const HeaderView> headers;
  size_t head_length = 0;  // bytes to consume, leading empty lines and final CRLFCRLF included
  BodyFraming framing = BodyFraming::None;
  uint64_t content_length = 0;
  bool keep_alive = true;        // 1.1 unless Connection: close; 1.0 only with keep-alive
  bool expect_continue = false;  // Expect: 100-continue on HTTP/1.1
  bool upgrade = false;          // Connection lists "upgrade" and an Upgrade field exists
  std::string_view host;         // the Host value; empty for HTTP/1.0 without Host
};

struct ResponseHeadView {
  int status = 0;
  std::string_view reason;
  int version_minor = 1;
  std::span<const HeaderView> headers;
  size_t head_length = 0;
  BodyFraming framing = BodyFraming::None;
  // The Content-Length value when present. It is the body length only when framing is
  // ContentLength (a response to HEAD carries the length of the body it would have had).
  uint64_t content_length = 0;
  bool keep_alive = true;  // false for HTTP/1.0 without keep-alive, close, and UntilClose bodies
};

enum class ParseState : uint8_t { Complete, Incomplete, Error };

template <typename Head>
struct ParseOutcome {
  ParseState state;
  Head head;
  ParseError error = ParseError::None;
};

class Http1Parser {
 public:
  explicit Http1Parser(ParseLimits limits = {});

  // Parses a request head at the start of input. Views point into input (and into the parser's
  // own reused header array, valid until the next parse call). Error as soon as input can never
  // become valid (also when a limit is exceeded before the head is complete), Incomplete
  // otherwise. Byte-level errors fire when the offending byte arrives; checks that need several
  // fields (framing, Host) run once the head is whole.
  ParseOutcome<RequestHeadView> parseRequest(std::string_view input);

  // request_method: the method of the request this response answers (HEAD => no body,
  // CONNECT + 2xx => tunnel, no body).
  ParseOutcome<ResponseHeadView> parseResponse(std::string_view input,
                                               std::string_view request_method);

 private:
  ParseLimits limits_;
  std::vector<HeaderView> headers_;  // header_count long, sized once
};

// One field line of a field section (RFC 9112 §5), shared by the head parser and the chunked
// decoder's trailer section. Scans `in` from `pos`: a field line ending in CRLF, or the empty
// line that ends the section. Incomplete when `in` ends first. Exposed for the decoder and the
// fuzzers; the rules are those of Http1Parser (token name, no whitespace before the colon, no
// obs-fold, value of VCHAR / obs-text / SP / HTAB, CRLF only).
struct FieldLineScan {
  enum class Kind : uint8_t { Field, EndOfSection, Incomplete, Error };
  Kind kind = Kind::Incomplete;
  HeaderView field;                     // when Field
  size_t next = 0;                      // position after the CRLF, when Field or EndOfSection
  ParseError error = ParseError::None;  // when Error
};
FieldLineScan scanFieldLine(std::string_view in, size_t pos);

}  // namespace gatehouse::http
