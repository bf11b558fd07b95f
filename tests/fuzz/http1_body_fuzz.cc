// Fuzzes Http1BodyReader. The first input byte picks the framing and a body limit, the next two
// a Content-Length; the rest is what the peer sends. It is read whole, split at a pseudo-random
// point, in pseudo-random small pieces, and as one evbuffer segment per byte: all must reach
// the same state, and unless the body failed, the same body, leftover input and trailers. A
// body never holds more bytes than came in, and a finished Content-Length body has exactly its
// length.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/http1_body_reader.h"
#include "proxy/net/libevent_ptr.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gatehouse::http;
using State = Http1BodyReader::State;

struct Setup {
  BodyFraming framing;
  uint64_t content_length;
  uint64_t max_body;
};

struct Outcome {
  State state = State::Reading;
  ParseError error = ParseError::None;
  std::string body;
  std::string left;
  std::string trailers;  // "name: value\n" each
  bool operator==(const Outcome&) const = default;
};

std::string take(evbuffer* buf) {
  std::string s(evbuffer_get_length(buf), '\0');
  evbuffer_remove(buf, s.data(), s.size());
  return s;
}

// Reads `in` arriving in pieces that end at `cuts`; with `segments`, all at once as one-byte
// evbuffer segments instead.
Outcome readPieces(const Setup& setup, std::string_view in, const std::vector<size_t>& cuts,
                   bool segments) {
  Http1BodyReader reader;
  reader.start(setup.framing, setup.content_length, setup.max_body);
  gatehouse::net::EvbufferPtr input = gatehouse::net::makeEvbuffer();
  gatehouse::net::EvbufferPtr out = gatehouse::net::makeEvbuffer();
  uint64_t added = 0;
  if (segments) {
    for (const char& c : in)
      evbuffer_add_reference(input.get(), &c, 1, nullptr, nullptr);
    added += reader.read(input.get(), out.get());
  } else {
    size_t begin = 0;
    for (size_t i = 0; i <= cuts.size(); ++i) {
      size_t end = i < cuts.size() ? cuts[i] : in.size();
      evbuffer_add(input.get(), in.data() + begin, end - begin);
      begin = end;
      added += reader.read(input.get(), out.get());
    }
  }
  Outcome o{reader.state(), reader.error(), take(out.get()), take(input.get()), {}};
  FUZZ_CHECK(added == o.body.size() && added == reader.received());
  FUZZ_CHECK(o.body.size() <= in.size());
  if (o.state == State::Done && setup.framing == BodyFraming::ContentLength)
    FUZZ_CHECK(o.body.size() == setup.content_length);
  if (o.state == State::Malformed || o.state == State::TooLarge)
    return {o.state, o.error, {}, {}, {}};
  HeaderMap trailers;
  reader.addTrailersTo(trailers);
  for (const Header& h : trailers)
    o.trailers += h.name + ": " + h.value + "\n";
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  static constexpr BodyFraming kFramings[] = {BodyFraming::None, BodyFraming::ContentLength,
                                              BodyFraming::Chunked, BodyFraming::UntilClose};
  const Setup setup{
      kFramings[data[0] % 4], static_cast<uint64_t>(data[1]) * 256 + data[2],
      (data[0] & 0x80) ? static_cast<uint64_t>(data[0] & 0x3f) : Http1BodyReader::kNoLimit};
  std::string_view in(reinterpret_cast<const char*>(data) + 3, size - 3);
  const Outcome whole = readPieces(setup, in, {}, false);
  // Split, a body may cross its limit before a malformed byte arrives: a failure either way.
  auto failed = [](State s) { return s == State::Malformed || s == State::TooLarge; };
  auto same = [&](const Outcome& o) { return failed(whole.state) ? failed(o.state) : o == whole; };
  uint64_t h = gatehouse::fuzz::hashOf(in);
  if (!in.empty()) FUZZ_CHECK(same(readPieces(setup, in, {h % in.size()}, false)));
  std::vector<size_t> cuts;
  for (size_t at = 1 + h % 7; at < in.size(); at += 1 + (h >> (at % 48)) % 7)
    cuts.push_back(at);
  FUZZ_CHECK(same(readPieces(setup, in, cuts, false)));
  FUZZ_CHECK(same(readPieces(setup, in, {}, true)));
  return 0;
}
