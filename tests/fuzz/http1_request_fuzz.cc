// Fuzzes Http1Parser::parseRequest with the default limits and with small ones (so the limit
// paths are reached), and checks what the parser promises: views inside the head, the same
// verdict however the input is split, an error that more bytes never change, and no accepted
// head that a peer could frame differently. And the conversion to the request head the proxy
// forwards, written over the previous input's head in place (as a pooled exchange's is), equals
// a fresh conversion: nothing of one request survives into the next.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/ascii.h"
#include "proxy/http/http1_parser.h"
#include "proxy/http/http1_request_head.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gatehouse::http;
using gatehouse::ascii::iequals;
using gatehouse::fuzz::ExactCopy;
using gatehouse::fuzz::within;

// A parse outcome that outlives the parser's header array.
struct Summary {
  ParseState state;
  ParseError error;
  RequestHeadView head;
  std::vector<HeaderView> headers;

  bool operator==(const Summary& o) const {
    const RequestHeadView& a = head;
    const RequestHeadView& b = o.head;
    if (state != o.state || error != o.error || headers.size() != o.headers.size()) return false;
    for (size_t i = 0; i < headers.size(); ++i)
      if (headers[i].name != o.headers[i].name || headers[i].value != o.headers[i].value)
        return false;
    return a.method == b.method && a.target == b.target && a.version_minor == b.version_minor &&
           a.head_length == b.head_length && a.framing == b.framing &&
           a.content_length == b.content_length && a.keep_alive == b.keep_alive &&
           a.expect_continue == b.expect_continue && a.upgrade == b.upgrade && a.host == b.host;
  }
};

Summary parse(Http1Parser& parser, std::string_view in) {
  auto out = parser.parseRequest(in);
  return {out.state, out.error, out.head, {out.head.headers.begin(), out.head.headers.end()}};
}

bool isCleanValue(std::string_view v) {
  for (char c : v) {
    auto u = static_cast<uint8_t>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) return false;
  }
  return v.empty() ||
         (v.front() != ' ' && v.front() != '\t' && v.back() != ' ' && v.back() != '\t');
}

void checkComplete(const Summary& s, std::string_view in) {
  const RequestHeadView& h = s.head;
  FUZZ_CHECK(h.head_length <= in.size());
  std::string_view head = in.substr(0, h.head_length);
  FUZZ_CHECK(head.ends_with("\r\n\r\n"));
  FUZZ_CHECK(within(h.method, head) && within(h.target, head) && within(h.host, head));
  FUZZ_CHECK(gatehouse::ascii::isToken(h.method) && !h.target.empty());
  for (char c : h.target)
    FUZZ_CHECK(c > 0x20 && c < 0x7F);
  FUZZ_CHECK(h.version_minor == 0 || h.version_minor == 1);
  FUZZ_CHECK(h.framing != BodyFraming::UntilClose);
  size_t lengths = 0, codings = 0, hosts = 0;
  for (const HeaderView& f : s.headers) {
    FUZZ_CHECK(within(f.name, head) && within(f.value, head));
    FUZZ_CHECK(gatehouse::ascii::isToken(f.name) && isCleanValue(f.value));
    lengths += iequals(f.name, "content-length");
    codings += iequals(f.name, "transfer-encoding");
    hosts += iequals(f.name, "host");
  }
  // The smuggling oracle: at most one framing field, and exactly the one the framing says.
  FUZZ_CHECK(lengths + codings <= 1);
  FUZZ_CHECK((h.framing == BodyFraming::Chunked) == (codings == 1));
  FUZZ_CHECK((h.framing == BodyFraming::ContentLength) == (lengths == 1));
  FUZZ_CHECK(h.content_length <= uint64_t{INT64_MAX});
  FUZZ_CHECK(hosts <= 1 && (hosts == 1 || h.version_minor == 0));
  FUZZ_CHECK(h.framing != BodyFraming::Chunked || h.version_minor == 1);
}

bool sameHead(const RequestHead& a, const RequestHead& b) {
  if (a.headers.size() != b.headers.size()) return false;
  auto ai = a.headers.begin();
  for (auto bi = b.headers.begin(); bi != b.headers.end(); ++ai, ++bi)
    if (ai->name != bi->name || ai->value != bi->value) return false;
  return a.method == b.method && a.target == b.target && a.authority == b.authority &&
         a.scheme == b.scheme && a.version_minor == b.version_minor &&
         a.forwarding == b.forwarding && a.content_length == b.content_length &&
         a.has_body == b.has_body && a.upgrade == b.upgrade;
}

// The head kept from the previous input, as a pooled exchange keeps its last request's.
void checkInPlace(const RequestHeadView& view) {
  static RequestHead reused;
  toRequestHead(view, reused);
  FUZZ_CHECK(sameHead(reused, toRequestHead(view)));
  reused.forwarding = "X-Forwarded-For: 192.0.2.1\r\n";  // what forwarding adds, for the next
  reused.scheme = "https";
}

void checkOne(Http1Parser& parser, std::string_view in) {
  Summary whole = parse(parser, in);
  FUZZ_CHECK(parse(parser, in) == whole);  // deterministic, also across header-array reuse
  switch (whole.state) {
    case ParseState::Complete: {
      checkComplete(whole, in);
      checkInPlace(parser.parseRequest(in).head);
      ExactCopy head(in.substr(0, whole.head.head_length));
      Summary again = parse(parser, head.view());
      FUZZ_CHECK(again.state == ParseState::Complete && again.error == ParseError::None &&
                 again.head.head_length == whole.head.head_length);
      ExactCopy short_by_one(in.substr(0, whole.head.head_length - 1));
      FUZZ_CHECK(parse(parser, short_by_one.view()).state == ParseState::Incomplete);
      break;
    }
    case ParseState::Error: {
      FUZZ_CHECK(whole.error != ParseError::None && !describe(whole.error).empty());
      int status = statusFor(whole.error);
      FUZZ_CHECK(status == 400 || status == 414 || status == 431);
      std::string longer(in);
      longer += "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
      Summary more = parse(parser, longer);
      FUZZ_CHECK(more.state == ParseState::Error && more.error == whole.error);
      break;
    }
    case ParseState::Incomplete:
      FUZZ_CHECK(whole.error == ParseError::None);
      break;
  }
  // A prefix is Incomplete or already the whole verdict.
  if (!in.empty()) {
    size_t cut = gatehouse::fuzz::hashOf(in) % in.size();
    ExactCopy prefix(in.substr(0, cut));
    Summary part = parse(parser, prefix.view());
    FUZZ_CHECK(part.state == ParseState::Incomplete ||
               (part.state == whole.state && part.error == whole.error &&
                part.head.head_length == whole.head.head_length));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Http1Parser standard;
  static Http1Parser small(ParseLimits{.request_line = 48, .headers = 192, .header_count = 4});
  std::string_view in(reinterpret_cast<const char*>(data), size);
  checkOne(standard, in);
  checkOne(small, in);
  return 0;
}
