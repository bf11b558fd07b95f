// Fuzzes ChunkedDecoder: the input is decoded whole, split at a pseudo-random point, and in
// pseudo-random small pieces; all three must give the same body, end, error and trailers. Every
// step must make progress and return data inside its input, and a decoded body re-encoded with
// chunkHeader/kLastChunk must decode to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http/chunked_decoder.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gatehouse::http;
using gatehouse::fuzz::ExactCopy;
using gatehouse::fuzz::within;

struct Decoded {
  std::string data;
  bool done = false;
  ParseError error = ParseError::None;
  size_t consumed = 0;
  std::vector<std::pair<std::string, std::string>> trailers;
  bool operator==(const Decoded&) const = default;
};

// Feeds `in` in pieces ending at `cuts` (increasing), each in its own exact-size buffer.
Decoded decodePieces(std::string_view in, const std::vector<size_t>& cuts, size_t max_trailer) {
  ChunkedDecoder decoder(max_trailer);
  Decoded out;
  size_t begin = 0;
  for (size_t i = 0; i <= cuts.size() && out.error == ParseError::None && !out.done; ++i) {
    size_t end = i < cuts.size() ? cuts[i] : in.size();
    ExactCopy piece(in.substr(begin, end - begin));
    std::string_view rest = piece.view();
    while (!rest.empty() && out.error == ParseError::None && !out.done) {
      ChunkedDecoder::Step step = decoder.decode(rest);
      FUZZ_CHECK(step.consumed <= rest.size());
      FUZZ_CHECK(step.consumed > 0 || step.done || step.error != ParseError::None);
      FUZZ_CHECK(within(step.data, rest.substr(0, step.consumed)));
      FUZZ_CHECK(!step.done || step.error == ParseError::None);
      out.data += step.data;
      out.done = step.done;
      out.error = step.error;
      out.consumed += step.consumed;
      rest.remove_prefix(step.consumed);
    }
    begin = end;
  }
  FUZZ_CHECK(decoder.done() == out.done);
  out.trailers = decoder.trailers();
  if (out.error != ParseError::None) out.consumed = 0;  // where an error stops is not a contract
  return out;
}

void checkOne(std::string_view in, size_t max_trailer) {
  Decoded whole = decodePieces(in, {}, max_trailer);
  FUZZ_CHECK(whole.data.size() <= in.size() && whole.consumed <= in.size());
  if (whole.done) FUZZ_CHECK(in.substr(0, whole.consumed).ends_with("\r\n"));
  uint64_t h = gatehouse::fuzz::hashOf(in);
  if (!in.empty()) FUZZ_CHECK(decodePieces(in, {h % in.size()}, max_trailer) == whole);
  std::vector<size_t> cuts;
  for (size_t at = 1 + h % 7; at < in.size(); at += 1 + (h >> (at % 48)) % 7)
    cuts.push_back(at);
  FUZZ_CHECK(decodePieces(in, cuts, max_trailer) == whole);
  if (whole.done && !whole.data.empty()) {
    std::string encoded = chunkHeader(whole.data.size()) + whole.data + "\r\n";
    encoded += kLastChunk;
    Decoded again = decodePieces(encoded, {}, max_trailer);
    FUZZ_CHECK(again.done && again.data == whole.data && again.consumed == encoded.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  checkOne(in, 65536);
  checkOne(in, 24);  // small enough that the trailer limit is reached
  return 0;
}
