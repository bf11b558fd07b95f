// The whole HTTP/1 head grammar lives in this one file (over the usual ~400 lines, like
// picohttpparser's 700) so that every strictness rule can be reviewed side by side: byte classes,
// start lines, field lines, then what the fields mean for framing.
#include "proxy/http/http1_parser.h"

#include <array>
#include <limits>

#include "proxy/base/ascii.h"
#include "proxy/base/byte_scan.h"
#include "proxy/http/request_target.h"

namespace gatehouse::http {
namespace {

using ascii::iequals;
using ascii::isTokenChar;

// RFC 9112 §2.2 lets a server skip empty lines before the request-line (clients sometimes send
// a stray CRLF after a POST body); more than a few is not a client, it is noise.
constexpr size_t kMaxLeadingEmptyLines = 4;
// Content-Length must fit an off_t / int64_t for every consumer downstream.
constexpr uint64_t kMaxContentLength = std::numeric_limits<int64_t>::max();

// The end of the field-value bytes (RFC 9110 §5.5: HTAB, SP, VCHAR and obs-text; no NUL, CTL or
// DEL) that start at `pos`: the first byte that is not one, or in.size(). HTAB is the only control
// byte a value may hold, and a rare one, so the sixteen-byte scan stops at every control byte and
// steps over a tab.
size_t endOfFieldValue(std::string_view in, size_t pos) {
  const char* const end = in.data() + in.size();
  const char* p = in.data() + pos;
  while ((p = ascii::findControlOrDel(p, end)) != end && *p == '\t')
    ++p;
  return static_cast<size_t>(p - in.data());
}
// The end of the token characters that start at `pos` (a field name): four bytes a step while
// four remain, with one bounds check for the four.
size_t endOfToken(std::string_view in, size_t pos) {
  const char* const end = in.data() + in.size();
  const char* p = in.data() + pos;
  while (end - p >= 4 && isTokenChar(p[0]) && isTokenChar(p[1]) && isTokenChar(p[2]) &&
         isTokenChar(p[3]))
    p += 4;
  while (p < end && isTokenChar(*p))
    ++p;
  return static_cast<size_t>(p - in.data());
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isLineByte(char c) {
  return c == '\r' || c == '\n';
}

size_t saturatingAdd(size_t a, size_t b) {
  return a > std::numeric_limits<size_t>::max() - b ? std::numeric_limits<size_t>::max() : a + b;
}

enum class Scan : uint8_t { Ok, Incomplete, Error };

// Called at a CR or LF at `pos`. Ok when it starts a CRLF; Incomplete when the CR is the last
// byte; Error (bare CR or LF) otherwise.
Scan lineEndAt(std::string_view in, size_t pos) {
  if (in[pos] == '\n') return Scan::Error;
  if (pos + 1 >= in.size()) return Scan::Incomplete;
  return in[pos + 1] == '\n' ? Scan::Ok : Scan::Error;
}

// A scan step that failed or ran out of bytes. Incomplete unless `error` is set.
struct Stop {
  Scan scan;
  ParseError error = ParseError::None;
};

// At a CR or LF where the grammar does not allow the line to end: a bare CR/LF is reported as
// such, a real CRLF as `error`.
Stop earlyLineEnd(std::string_view in, size_t pos, ParseError error) {
  switch (lineEndAt(in, pos)) {
    case Scan::Incomplete:
      return {Scan::Incomplete};
    case Scan::Error:
      return {Scan::Error, ParseError::BareCrOrLf};
    case Scan::Ok:
      break;
  }
  return {Scan::Error, error};
}

// Matches `expected` at `pos`, byte by byte, so that a wrong byte fails at once.
Stop expectLiteral(std::string_view in, size_t pos, std::string_view expected, ParseError error) {
  for (size_t i = 0; i < expected.size(); ++i) {
    if (pos + i >= in.size()) return {Scan::Incomplete};
    char c = in[pos + i];
    if (c == expected[i]) continue;
    return isLineByte(c) ? earlyLineEnd(in, pos + i, error) : Stop{Scan::Error, error};
  }
  return {Scan::Ok};
}

// "HTTP/1.0" or "HTTP/1.1" at `pos`; anything else (HTTP/2, http/1.1, HTTP/1.10) is BadVersion.
Stop scanVersion(std::string_view in, size_t pos, int& minor) {
  Stop s = expectLiteral(in, pos, "HTTP/1.", ParseError::BadVersion);
  if (s.scan != Scan::Ok) return s;
  pos += 7;
  if (pos >= in.size()) return {Scan::Incomplete};
  if (in[pos] != '0' && in[pos] != '1') {
    return isLineByte(in[pos]) ? earlyLineEnd(in, pos, ParseError::BadVersion)
                               : Stop{Scan::Error, ParseError::BadVersion};
  }
  minor = in[pos] - '0';
  return {Scan::Ok};
}

// request-line = method SP request-target SP HTTP-version CRLF. On Ok, `next` is past the CRLF.
Stop scanRequestLine(std::string_view in, size_t pos, RequestHeadView& head, size_t& next) {
  size_t start = pos;
  while (pos < in.size() && isTokenChar(in[pos]))
    ++pos;
  if (pos == in.size()) return {Scan::Incomplete};
  if (isLineByte(in[pos])) return earlyLineEnd(in, pos, ParseError::BadRequestLine);
  if (in[pos] != ' ') return {Scan::Error, ParseError::BadMethod};
  if (pos == start) return {Scan::Error, ParseError::BadRequestLine};
  head.method = in.substr(start, pos - start);

  start = ++pos;
  while (pos < in.size() && isTargetByte(in[pos]))
    ++pos;
  if (pos == in.size()) return {Scan::Incomplete};
  if (isLineByte(in[pos])) return earlyLineEnd(in, pos, ParseError::BadRequestLine);
  if (in[pos] != ' ') return {Scan::Error, ParseError::BadTarget};
  if (pos == start) return {Scan::Error, ParseError::BadRequestLine};  // two SPs
  head.target = in.substr(start, pos - start);
  if (!isTargetForm(head.method, head.target)) return {Scan::Error, ParseError::BadTarget};

  ++pos;
  if (Stop s = scanVersion(in, pos, head.version_minor); s.scan != Scan::Ok) return s;
  pos += 8;
  if (pos >= in.size()) return {Scan::Incomplete};
  if (!isLineByte(in[pos])) return {Scan::Error, ParseError::BadVersion};
  Scan end = lineEndAt(in, pos);
  if (end != Scan::Ok) return {end, end == Scan::Error ? ParseError::BareCrOrLf : ParseError::None};
  next = pos + 2;
  return {Scan::Ok};
}

// status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF; "HTTP/1.1 200" CRLF (no SP,
// no reason) is accepted too, as many servers send it. Status codes are 100-599.
Stop scanStatusLine(std::string_view in, ResponseHeadView& head, size_t& next) {
  if (Stop s = scanVersion(in, 0, head.version_minor); s.scan != Scan::Ok) return s;
  if (Stop s = expectLiteral(in, 8, " ", ParseError::BadStatusLine); s.scan != Scan::Ok) return s;
  size_t pos = 9;
  int status = 0;
  for (; pos < 12; ++pos) {
    if (pos >= in.size()) return {Scan::Incomplete};
    if (!isDigit(in[pos])) {
      return isLineByte(in[pos]) ? earlyLineEnd(in, pos, ParseError::BadStatusLine)
                                 : Stop{Scan::Error, ParseError::BadStatusLine};
    }
    status = status * 10 + (in[pos] - '0');
  }
  if (status < 100 || status > 599) return {Scan::Error, ParseError::BadStatusLine};
  head.status = status;
  if (pos >= in.size()) return {Scan::Incomplete};
  size_t reason_start = pos;
  if (in[pos] == ' ') {
    reason_start = ++pos;
    pos = endOfFieldValue(in, pos);
    if (pos >= in.size()) return {Scan::Incomplete};
  }
  if (!isLineByte(in[pos])) return {Scan::Error, ParseError::BadStatusLine};
  Scan end = lineEndAt(in, pos);
  if (end != Scan::Ok) return {end, end == Scan::Error ? ParseError::BareCrOrLf : ParseError::None};
  head.reason = in.substr(reason_start, pos - reason_start);
  next = pos + 2;
  return {Scan::Ok};
}

// Content-Length = 1*DIGIT (RFC 9110 §8.6), no sign, space or hex. A list ("5, 5") or a second
// field is rejected even when the values agree: the RFC lets a recipient collapse identical
// values, but a peer that does not would frame the message differently, so we never guess.
ParseError takeContentLength(std::string_view value, bool& seen, uint64_t& length) {
  if (seen || value.find(',') != std::string_view::npos) {
    bool all_digits = !value.empty();
    ascii::forEachListElement(value, [&](std::string_view v) {
      for (char c : v)
        all_digits = all_digits && isDigit(c);
    });
    return all_digits || seen ? ParseError::DuplicateContentLength : ParseError::BadContentLength;
  }
  if (value.empty()) return ParseError::BadContentLength;
  uint64_t n = 0;
  for (char c : value) {
    if (!isDigit(c)) return ParseError::BadContentLength;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (kMaxContentLength - d) / 10) return ParseError::BadContentLength;
    n = n * 10 + d;
  }
  seen = true;
  length = n;
  return ParseError::None;
}

// The codings of every Transfer-Encoding field, joined as one list (RFC 9110 §5.3).
struct TransferCodings {
  bool present = false;
  size_t count = 0;
  bool chunked_last = false;  // the final coding is chunked
  // The only framing we accept either way: one coding, chunked (RFC 9112 §6.1 allows others
  // before it; the edge neither needs nor decodes them).
  bool onlyChunked() const { return count == 1 && chunked_last; }
};

// Each coding must be a bare token; empty elements and parameters are rejected (strict).
ParseError takeTransferEncoding(std::string_view value, TransferCodings& tc) {
  tc.present = true;
  while (true) {
    size_t comma = value.find(',');
    std::string_view coding = ascii::trimOws(value.substr(0, comma));
    if (!ascii::isToken(coding)) return ParseError::BadTransferEncoding;
    tc.chunked_last = iequals(coding, "chunked");
    ++tc.count;
    if (comma == std::string_view::npos) return ParseError::None;
    value.remove_prefix(comma + 1);
  }
}

// What the fields of a head say about framing and the connection.
struct FieldFacts {
  bool has_length = false;
  uint64_t length = 0;
  TransferCodings codings;
  bool close = false, keep_alive = false, upgrade_token = false, has_upgrade = false;
  size_t host_count = 0;
  std::string_view host;
  bool expect_continue = false;
};

// The names collectFacts looks for, told apart by length first: one comparison per field
// instead of six.
enum class FramingName : uint8_t {
  Other,
  ContentLength,
  TransferEncoding,
  Connection,
  Host,
  Upgrade,
  Expect
};
FramingName framingName(std::string_view name) {
  switch (name.size()) {
    case 4:
      return iequals(name, "host") ? FramingName::Host : FramingName::Other;
    case 6:
      return iequals(name, "expect") ? FramingName::Expect : FramingName::Other;
    case 7:
      return iequals(name, "upgrade") ? FramingName::Upgrade : FramingName::Other;
    case 10:
      return iequals(name, "connection") ? FramingName::Connection : FramingName::Other;
    case 14:
      return iequals(name, "content-length") ? FramingName::ContentLength : FramingName::Other;
    case 17:
      return iequals(name, "transfer-encoding") ? FramingName::TransferEncoding
                                                : FramingName::Other;
    default:
      return FramingName::Other;
  }
}

ParseError collectFacts(std::span<const HeaderView> headers, FieldFacts& f) {
  for (const HeaderView& h : headers) {
    ParseError e = ParseError::None;
    switch (framingName(h.name)) {
      case FramingName::Other:
        break;
      case FramingName::ContentLength:
        e = takeContentLength(h.value, f.has_length, f.length);
        break;
      case FramingName::TransferEncoding:
        e = takeTransferEncoding(h.value, f.codings);
        break;
      case FramingName::Connection:
        ascii::forEachListElement(h.value, [&f](std::string_view token) {
          f.close = f.close || iequals(token, "close");
          f.keep_alive = f.keep_alive || iequals(token, "keep-alive");
          f.upgrade_token = f.upgrade_token || iequals(token, "upgrade");
        });
        break;
      case FramingName::Host:
        ++f.host_count;
        f.host = h.value;
        break;
      case FramingName::Upgrade:
        f.has_upgrade = true;
        break;
      case FramingName::Expect:
        f.expect_continue = iequals(h.value, "100-continue");
        break;
    }
    if (e != ParseError::None) return e;
  }
  return ParseError::None;
}

bool keepAlive(int version_minor, const FieldFacts& f) {
  return !f.close && (version_minor == 1 || f.keep_alive);
}

// RFC 9112 §6: one framing or none; TE only on HTTP/1.1 and exactly "chunked" (a request with
// any other coding cannot be framed, and "gzip, chunked" buys nothing at the edge).
ParseError interpretRequest(RequestHeadView& head) {
  FieldFacts f;
  if (ParseError e = collectFacts(head.headers, f); e != ParseError::None) return e;
  const TransferCodings& tc = f.codings;
  if (tc.present && f.has_length) return ParseError::ContentLengthWithChunked;
  if (tc.present && (head.version_minor == 0 || !tc.onlyChunked()))
    return ParseError::BadTransferEncoding;
  if (f.host_count > 1) return ParseError::DuplicateHost;
  if (f.host_count == 0 && head.version_minor == 1) return ParseError::MissingHost;
  // An http(s) URI never has an empty host (RFC 9110 §4.2.1), so neither may Host.
  if (f.host_count == 1 && !isAuthority(f.host, false)) return ParseError::BadHost;
  head.host = f.host;
  head.framing = tc.present     ? BodyFraming::Chunked
                 : f.has_length ? BodyFraming::ContentLength
                                : BodyFraming::None;
  head.content_length = f.length;
  head.keep_alive = keepAlive(head.version_minor, f);
  // Expect and Upgrade are HTTP/1.1 mechanisms; a 1.0 request must not trigger them.
  head.expect_continue = head.version_minor == 1 && f.expect_continue;
  head.upgrade = head.version_minor == 1 && f.upgrade_token && f.has_upgrade;
  return ParseError::None;
}

// RFC 9112 §6.3, strict toward backends: CL with TE, or TE on HTTP/1.0 are framing faults, not
// something to read until close. And, as for requests, the only transfer coding is a single
// "chunked": we decode no other, and relaying a body stripped of its framing but still in, say,
// gzip, with nothing to say so (Transfer-Encoding is hop-by-hop), would hand clients and the
// cache bytes that are not the representation (issue 14, defect 9).
ParseError interpretResponse(std::string_view request_method, ResponseHeadView& head) {
  FieldFacts f;
  if (ParseError e = collectFacts(head.headers, f); e != ParseError::None) return e;
  const TransferCodings& tc = f.codings;
  if (tc.present && f.has_length) return ParseError::ContentLengthWithChunked;
  if (tc.present && (head.version_minor == 0 || !tc.onlyChunked()))
    return ParseError::BadTransferEncoding;
  bool tunnel = head.status == 101 || (request_method == "CONNECT" && head.status / 100 == 2);
  bool no_body = head.status < 200 || head.status == 204 || head.status == 304 ||
                 request_method == "HEAD" || tunnel;
  head.framing = no_body        ? BodyFraming::None
                 : tc.present   ? BodyFraming::Chunked
                 : f.has_length ? BodyFraming::ContentLength
                                : BodyFraming::UntilClose;
  head.content_length = f.length;
  // A body that ends at close, or a connection that leaves HTTP, cannot be reused.
  head.keep_alive =
      keepAlive(head.version_minor, f) && head.framing != BodyFraming::UntilClose && !tunnel;
  return ParseError::None;
}

template <typename Head>
ParseOutcome<Head> incomplete() {
  return {ParseState::Incomplete, Head{}};
}
template <typename Head>
ParseOutcome<Head> failed(ParseError e) {
  return {ParseState::Error, Head{}, e};
}

// After the start line: the field lines into `fields`, the empty line, then what the fields
// mean (`interpret`). `input_cut` says the input goes on past the window (the head limit).
template <typename Head, typename Interpret>
ParseOutcome<Head> finishHead(std::string_view window, size_t pos, bool input_cut,
                              size_t max_fields, std::vector<HeaderView>& fields, Head head,
                              Interpret interpret) {
  size_t count = 0;  // `fields` is max_fields long, sized once: no push_back per field
  while (true) {
    FieldLineScan f = scanFieldLine(window, pos);
    if (f.kind == FieldLineScan::Kind::Incomplete)
      return input_cut ? failed<Head>(ParseError::HeadersTooLarge) : incomplete<Head>();
    if (f.kind == FieldLineScan::Kind::Error) return failed<Head>(f.error);
    pos = f.next;
    if (f.kind == FieldLineScan::Kind::EndOfSection) break;
    if (count >= max_fields) return failed<Head>(ParseError::TooManyHeaders);
    fields[count++] = f.field;
  }
  head.headers = std::span<const HeaderView>(fields.data(), count);
  head.head_length = pos;
  if (ParseError e = interpret(head); e != ParseError::None) return failed<Head>(e);
  return {ParseState::Complete, head};
}

}  // namespace

FieldLineScan scanFieldLine(std::string_view in, size_t pos) {
  using Kind = FieldLineScan::Kind;
  auto fail = [](ParseError e) { return FieldLineScan{Kind::Error, {}, 0, e}; };
  auto stop = [&](Stop s) { return s.scan == Scan::Incomplete ? FieldLineScan{} : fail(s.error); };
  if (pos >= in.size()) return {};
  if (isLineByte(in[pos])) {
    Scan end = lineEndAt(in, pos);
    if (end == Scan::Ok) return {Kind::EndOfSection, {}, pos + 2};
    return end == Scan::Incomplete ? FieldLineScan{} : fail(ParseError::BareCrOrLf);
  }
  if (in[pos] == ' ' || in[pos] == '\t') return fail(ParseError::ObsFold);
  size_t start = pos;
  pos = endOfToken(in, pos);
  if (pos >= in.size()) return {};
  if (in[pos] != ':' || pos == start) {
    if (isLineByte(in[pos])) return stop(earlyLineEnd(in, pos, ParseError::BadHeaderName));
    bool space = (in[pos] == ' ' || in[pos] == '\t') && pos != start;
    return fail(space ? ParseError::SpaceBeforeColon : ParseError::BadHeaderName);
  }
  std::string_view name = in.substr(start, pos - start);
  start = ++pos;
  pos = endOfFieldValue(in, pos);
  if (pos >= in.size()) return {};
  if (!isLineByte(in[pos])) return fail(ParseError::BadHeaderValue);
  Scan end = lineEndAt(in, pos);
  if (end != Scan::Ok)
    return end == Scan::Incomplete ? FieldLineScan{} : fail(ParseError::BareCrOrLf);
  return {Kind::Field, {name, ascii::trimOws(in.substr(start, pos - start))}, pos + 2};
}

Http1Parser::Http1Parser(ParseLimits limits) : limits_(limits) {
  headers_.resize(limits_.header_count);
}

// The scan sees only a window of the input: bytes past limits_.headers (and past the request
// line limit while in the request line) are never read. Running out of window is Incomplete when
// the input really ended there, and the limit's error when it did not; either way the outcome is
// the same however the input was split.
ParseOutcome<RequestHeadView> Http1Parser::parseRequest(std::string_view input) {
  using Out = RequestHeadView;
  std::string_view window = input.substr(0, limits_.headers);
  auto outOfWindow = [&](size_t window_end, ParseError limit_error) {
    return input.size() > window_end ? failed<Out>(limit_error) : incomplete<Out>();
  };
  size_t pos = 0;
  for (size_t skipped = 0;; ++skipped) {
    if (pos >= window.size()) return outOfWindow(window.size(), ParseError::HeadersTooLarge);
    if (!isLineByte(window[pos])) break;
    Scan end = lineEndAt(window, pos);
    if (end == Scan::Incomplete) return outOfWindow(window.size(), ParseError::HeadersTooLarge);
    if (end == Scan::Error) return failed<Out>(ParseError::BareCrOrLf);
    if (skipped == kMaxLeadingEmptyLines) return failed<Out>(ParseError::BadRequestLine);
    pos += 2;
  }

  Out head;
  size_t line_end = saturatingAdd(pos, saturatingAdd(limits_.request_line, 2));
  bool line_limit_first = line_end <= limits_.headers;
  std::string_view line_window = window.substr(0, line_end);
  Stop s = scanRequestLine(line_window, pos, head, pos);
  if (s.scan == Scan::Error) return failed<Out>(s.error);
  if (s.scan == Scan::Incomplete) {
    return line_limit_first ? outOfWindow(line_end, ParseError::UriTooLong)
                            : outOfWindow(window.size(), ParseError::HeadersTooLarge);
  }

  return finishHead(window, pos, input.size() > window.size(), limits_.header_count, headers_, head,
                    interpretRequest);
}

ParseOutcome<ResponseHeadView> Http1Parser::parseResponse(std::string_view input,
                                                          std::string_view request_method) {
  using Out = ResponseHeadView;
  std::string_view window = input.substr(0, limits_.headers);
  auto outOfWindow = [&]() {
    return input.size() > window.size() ? failed<Out>(ParseError::HeadersTooLarge)
                                        : incomplete<Out>();
  };
  Out head;
  size_t pos = 0;
  Stop s = scanStatusLine(window, head, pos);
  if (s.scan == Scan::Error) return failed<Out>(s.error);
  if (s.scan == Scan::Incomplete) return outOfWindow();

  return finishHead(
      window, pos, input.size() > window.size(), limits_.header_count, headers_, head,
      [request_method](ResponseHeadView& h) { return interpretResponse(request_method, h); });
}

int statusFor(ParseError error) {
  switch (error) {
    case ParseError::UriTooLong:
      return 414;
    case ParseError::HeadersTooLarge:
    case ParseError::TooManyHeaders:
      return 431;
    default:
      return 400;
  }
}

std::string_view describe(ParseError error) {
  switch (error) {
    case ParseError::None:
      return "no error";
    case ParseError::BadRequestLine:
      return "malformed request line";
    case ParseError::BadMethod:
      return "invalid method";
    case ParseError::BadTarget:
      return "invalid request target";
    case ParseError::UriTooLong:
      return "request line too long";
    case ParseError::BadVersion:
      return "unsupported HTTP version";
    case ParseError::BadHeaderName:
      return "invalid header name";
    case ParseError::BadHeaderValue:
      return "invalid character in header value";
    case ParseError::ObsFold:
      return "obsolete line folding";
    case ParseError::BareCrOrLf:
      return "bare CR or LF";
    case ParseError::SpaceBeforeColon:
      return "whitespace between header name and colon";
    case ParseError::HeadersTooLarge:
      return "header section too large";
    case ParseError::TooManyHeaders:
      return "too many header fields";
    case ParseError::MissingHost:
      return "missing Host";
    case ParseError::DuplicateHost:
      return "more than one Host";
    case ParseError::BadContentLength:
      return "invalid Content-Length";
    case ParseError::DuplicateContentLength:
      return "more than one Content-Length";
    case ParseError::ContentLengthWithChunked:
      return "both Content-Length and Transfer-Encoding";
    case ParseError::BadTransferEncoding:
      return "unsupported Transfer-Encoding";
    case ParseError::BadStatusLine:
      return "malformed status line";
    case ParseError::BadChunkSize:
      return "invalid chunk size";
    case ParseError::ChunkSizeOverflow:
      return "chunk size too large";
    case ParseError::BadChunkExtension:
      return "invalid chunk extension";
    case ParseError::BadChunkTerminator:
      return "missing CRLF after chunk data";
    case ParseError::TrailersTooLarge:
      return "trailer section too large";
    case ParseError::BadHost:
      return "invalid Host";
  }
  return "unknown error";
}

}  // namespace gatehouse::http
