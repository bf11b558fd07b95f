// Fuzzes Http1Parser::parseResponse as the answer to GET, HEAD and CONNECT, and checks what the
// parser promises toward backends: views inside the head, framing that follows RFC 9112 §6.3
// (with chunked the only transfer coding), the same verdict however the input is split, and an
// error that more bytes never change.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/ascii.h"
#include "proxy/http/http1_parser.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gatehouse::http;
using gatehouse::ascii::iequals;
using gatehouse::fuzz::ExactCopy;
using gatehouse::fuzz::within;

struct Verdict {
  ParseState state;
  ParseError error;
  size_t head_length;
  bool operator==(const Verdict&) const = default;
};

Verdict verdict(Http1Parser& parser, std::string_view in, std::string_view method) {
  auto out = parser.parseResponse(in, method);
  return {out.state, out.error, out.head.head_length};
}

void checkComplete(const ResponseHeadView& h, std::string_view in, std::string_view method) {
  FUZZ_CHECK(h.head_length <= in.size());
  std::string_view head = in.substr(0, h.head_length);
  FUZZ_CHECK(head.starts_with("HTTP/1.") && head.ends_with("\r\n\r\n"));
  FUZZ_CHECK(h.status >= 100 && h.status <= 599);
  FUZZ_CHECK(h.version_minor == 0 || h.version_minor == 1);
  FUZZ_CHECK(within(h.reason, head) && h.reason.find_first_of("\r\n") == std::string_view::npos);
  size_t lengths = 0, codings = 0;
  for (const HeaderView& f : h.headers) {
    FUZZ_CHECK(within(f.name, head) && within(f.value, head));
    FUZZ_CHECK(gatehouse::ascii::isToken(f.name));
    FUZZ_CHECK(f.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
    lengths += iequals(f.name, "content-length");
    codings += iequals(f.name, "transfer-encoding");
  }
  FUZZ_CHECK(lengths <= 1 && (lengths == 0 || codings == 0));
  bool no_body = h.status < 200 || h.status == 204 || h.status == 304 || method == "HEAD" ||
                 (method == "CONNECT" && h.status / 100 == 2);
  if (no_body) FUZZ_CHECK(h.framing == BodyFraming::None);
  if (!no_body) FUZZ_CHECK(h.framing != BodyFraming::None);
  if (h.framing == BodyFraming::ContentLength) FUZZ_CHECK(lengths == 1);
  if (h.framing == BodyFraming::Chunked) FUZZ_CHECK(codings == 1 && h.version_minor == 1);
  // No transfer coding but chunked gets through: nothing is relayed still encoded, unlabelled.
  if (codings > 0) FUZZ_CHECK(h.framing == BodyFraming::Chunked || no_body);
  if (h.framing == BodyFraming::UntilClose) FUZZ_CHECK(!h.keep_alive);
}

void checkOne(Http1Parser& parser, std::string_view in, std::string_view method) {
  auto out = parser.parseResponse(in, method);
  Verdict whole{out.state, out.error, out.head.head_length};
  if (out.state == ParseState::Complete) checkComplete(out.head, in, method);
  FUZZ_CHECK(verdict(parser, in, method) == whole);
  if (whole.state == ParseState::Error) {
    FUZZ_CHECK(whole.error != ParseError::None);
    std::string longer(in);
    longer += "\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
    FUZZ_CHECK(verdict(parser, longer, method) == whole);
  }
  if (whole.state == ParseState::Complete) {
    ExactCopy short_by_one(in.substr(0, whole.head_length - 1));
    FUZZ_CHECK(verdict(parser, short_by_one.view(), method).state == ParseState::Incomplete);
  }
  if (!in.empty()) {
    ExactCopy prefix(in.substr(0, gatehouse::fuzz::hashOf(in) % in.size()));
    Verdict part = verdict(parser, prefix.view(), method);
    FUZZ_CHECK(part.state == ParseState::Incomplete || part == whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Http1Parser standard;
  static Http1Parser small(ParseLimits{.request_line = 48, .headers = 192, .header_count = 4});
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (std::string_view method : {"GET", "HEAD", "CONNECT"})
    checkOne(standard, in, method);
  checkOne(small, in, "GET");
  return 0;
}
