// ChunkedDecoder (RFC 9112 §7.1): every body is decoded whole, then split at every point and
// byte by byte, and must give the same data, end and error however it arrives.
#include "proxy/http/chunked_decoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/unit/proxy/http/http1_test_support.h"

namespace gatehouse::http {
namespace {

using namespace std::string_literals;

struct Decoded {
  std::string data;
  bool done = false;
  ParseError error = ParseError::None;
  size_t consumed = 0;  // bytes used before done or error
  std::vector<std::pair<std::string, std::string>> trailers;
  bool operator==(const Decoded&) const = default;
};

// Decodes `input` delivered in pieces that end at `cuts` (increasing offsets).
Decoded decodeInPieces(std::string_view input, const std::vector<size_t>& cuts,
                       size_t max_trailer_bytes = 65536) {
  ChunkedDecoder decoder(max_trailer_bytes);
  Decoded out;
  size_t begin = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    std::string piece(input.substr(begin, end - begin));  // a fresh buffer per read
    std::string_view rest = piece;
    while (!rest.empty() && !out.done && out.error == ParseError::None) {
      ChunkedDecoder::Step step = decoder.decode(rest);
      EXPECT_TRUE(step.consumed > 0 || step.done || step.error != ParseError::None);
      if (!step.data.empty()) {
        EXPECT_GE(step.data.data(), rest.data());  // a view into the input
        EXPECT_LE(step.data.data() + step.data.size(), rest.data() + step.consumed);
      }
      out.data += step.data;
      out.done = step.done;
      out.error = step.error;
      out.consumed += step.consumed;
      rest.remove_prefix(step.consumed);
    }
    begin = end;
  }
  EXPECT_EQ(decoder.done(), out.done);
  out.trailers = decoder.trailers();
  if (out.error != ParseError::None) out.consumed = 0;  // where an error stops is not a contract
  return out;
}

// The whole decode, after checking that every single split and byte-by-byte feeding agree.
Decoded decode(std::string_view input, size_t max_trailer_bytes = 65536) {
  Decoded whole = decodeInPieces(input, {}, max_trailer_bytes);
  for (size_t cut = 1; cut < input.size(); ++cut)
    EXPECT_EQ(decodeInPieces(input, {cut}, max_trailer_bytes), whole) << "split at " << cut;
  std::vector<size_t> every;
  for (size_t cut = 1; cut < input.size(); ++cut)
    every.push_back(cut);
  EXPECT_EQ(decodeInPieces(input, every, max_trailer_bytes), whole) << "byte by byte";
  return whole;
}

ParseError errorOf(std::string_view input, size_t max_trailer_bytes = 65536) {
  Decoded d = decode(input, max_trailer_bytes);
  EXPECT_FALSE(d.done);
  return d.error;
}

TEST(ChunkedDecoder, DecodesABody) {
  std::string body = "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
  Decoded d = decode(body);
  EXPECT_EQ(d.data, "hello, world");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.error, ParseError::None);
  EXPECT_EQ(d.consumed, body.size());
  EXPECT_TRUE(d.trailers.empty());
}

TEST(ChunkedDecoder, LeavesTheNextMessageUnconsumed) {
  std::string body = "3\r\nabc\r\n0\r\n\r\n";
  Decoded d = decode(body + "GET / HTTP/1.1\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.consumed, body.size());
}

TEST(ChunkedDecoder, AcceptsHexInEitherCaseAndLeadingZeros) {
  std::string data(0x1A, 'x');
  EXPECT_EQ(decode("1a\r\n" + data + "\r\n0\r\n\r\n").data, data);
  EXPECT_EQ(decode("1A\r\n" + data + "\r\n000\r\n\r\n").data, data);
  EXPECT_EQ(decode("0000000000000003\r\nabc\r\n0\r\n\r\n").data, "abc");
}

TEST(ChunkedDecoder, IsNotDoneBeforeTheFinalCrlf) {
  Decoded d = decode("3\r\nabc\r\n0\r\n");
  EXPECT_EQ(d.data, "abc");
  EXPECT_FALSE(d.done);
  EXPECT_EQ(d.error, ParseError::None);
}

TEST(ChunkedDecoder, ValidatesAndIgnoresExtensions) {
  for (const char* ext : {";a", ";a=b", ";a=\"quoted ;= \\\" value\"", " ; a = b", ";a;b=c;d",
                          "\t;a=\"\"", ";a=\"\xC3\xA9\"", ";a=b ;c"}) {
    Decoded d = decode("3"s + ext + "\r\nabc\r\n0" + ext + "\r\n\r\n");
    EXPECT_EQ(d.data, "abc") << ext;
    EXPECT_TRUE(d.done) << ext;
  }
}

TEST(ChunkedDecoder, RejectsMalformedExtensions) {
  for (std::string ext : {";"s, ";=b"s, ";a="s, ";a=\"open"s, " "s, ";a=b c"s, ";a b"s,
                          ";a=\"x\0\""s, ";a=\"x\"y"s, ";a=\"\\\x01\""s, ";a=b=c"s, ";a,b"s}) {
    EXPECT_EQ(errorOf("3" + ext + "\r\nabc\r\n0\r\n\r\n"), ParseError::BadChunkExtension)
        << ::testing::PrintToString(ext);
  }
}

TEST(ChunkedDecoder, BoundsTheSizeLine) {
  std::string ext = ";a=" + std::string(ChunkedDecoder::kMaxSizeLine, 'x');
  EXPECT_EQ(errorOf("3" + ext + "\r\nabc\r\n0\r\n\r\n"), ParseError::BadChunkExtension);
  std::string fits = ";a=" + std::string(ChunkedDecoder::kMaxSizeLine - 6, 'x');  // + "3" CRLF
  EXPECT_TRUE(decode("3" + fits + "\r\nabc\r\n0\r\n\r\n").done);
}

TEST(ChunkedDecoder, RejectsSizesThatAreNotHex) {
  for (const char* size : {"", "x", "-5", "+5", "0x5", " 5", "5x", "g"}) {
    EXPECT_EQ(errorOf(size + "\r\nhello\r\n0\r\n\r\n"s), ParseError::BadChunkSize) << size;
  }
}

TEST(ChunkedDecoder, RejectsSizesOverSixteenHexDigits) {
  EXPECT_EQ(errorOf("00000000000000005\r\nhello\r\n"), ParseError::ChunkSizeOverflow);
  EXPECT_EQ(errorOf("10000000000000000\r\n"), ParseError::ChunkSizeOverflow);
  // The largest size parses; its data would simply never end here.
  Decoded d = decode("ffffffffffffffff\r\nabc");
  EXPECT_EQ(d.error, ParseError::None);
  EXPECT_EQ(d.data, "abc");
}

TEST(ChunkedDecoder, RequiresCrlfAfterChunkData) {
  EXPECT_EQ(errorOf("5\r\nhelloX\r\n0\r\n\r\n"), ParseError::BadChunkTerminator);
  EXPECT_EQ(errorOf("5\r\nhello world\r\n0\r\n\r\n"), ParseError::BadChunkTerminator);
  EXPECT_EQ(errorOf("3\r\nhello\r\n0\r\n\r\n"), ParseError::BadChunkTerminator);
  EXPECT_EQ(errorOf("5\r\nhello\n0\r\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(errorOf("5\r\nhello\rX0\r\n\r\n"), ParseError::BareCrOrLf);
}

TEST(ChunkedDecoder, RejectsBareLineEndingsInSizeLines) {
  EXPECT_EQ(errorOf("5\nhello\r\n0\r\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(errorOf("5\rhello\r\n0\r\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(errorOf("5;a\nhello\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(errorOf("5\r\nhello\r\n0\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(errorOf("5\r\nhello\r\n0\r\n\n"), ParseError::BareCrOrLf);
}

TEST(ChunkedDecoder, CollectsTrailers) {
  Decoded d = decode("3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-B:  two words \r\nX-C:\r\n\r\n");
  EXPECT_TRUE(d.done);
  ASSERT_EQ(d.trailers.size(), 3u);
  EXPECT_EQ(d.trailers[0], (std::pair<std::string, std::string>{"X-Checksum", "42"}));
  EXPECT_EQ(d.trailers[1].second, "two words");
  EXPECT_EQ(d.trailers[2].second, "");
}

TEST(ChunkedDecoder, AppliesTheFieldRulesToTrailers) {
  const std::string last = "0\r\n";
  EXPECT_EQ(errorOf(last + "X: 1\r\n 2\r\n\r\n"), ParseError::ObsFold);
  EXPECT_EQ(errorOf(last + "X : 1\r\n\r\n"), ParseError::SpaceBeforeColon);
  EXPECT_EQ(errorOf(last + "X: a\0b\r\n\r\n"s), ParseError::BadHeaderValue);
  EXPECT_EQ(errorOf(last + "X(: 1\r\n\r\n"), ParseError::BadHeaderName);
  EXPECT_EQ(errorOf(last + "X\r\n\r\n"), ParseError::BadHeaderName);
  EXPECT_EQ(errorOf(last + "X: 1\n\r\n"), ParseError::BareCrOrLf);
  EXPECT_EQ(errorOf(last + "X: 1\rY: 2\r\n\r\n"), ParseError::BareCrOrLf);
}

TEST(ChunkedDecoder, BoundsTheTrailerSection) {
  std::string trailers = "X-A: 1\r\nX-B: 2\r\n\r\n";
  EXPECT_TRUE(decode("0\r\n" + trailers, trailers.size()).done);
  EXPECT_EQ(errorOf("0\r\n" + trailers, trailers.size() - 1), ParseError::TrailersTooLarge);
  EXPECT_EQ(errorOf("0\r\nX-A: " + std::string(100, 'a'), 64), ParseError::TrailersTooLarge);
}

TEST(ChunkedDecoder, RepeatsItsOutcomeAfterTheEnd) {
  ChunkedDecoder decoder;
  EXPECT_TRUE(decoder.decode(kLastChunk).done);
  ChunkedDecoder::Step again = decoder.decode("5\r\nhello");
  EXPECT_TRUE(again.done);
  EXPECT_EQ(again.consumed, 0u);
  ChunkedDecoder failed;
  EXPECT_EQ(failed.decode("z").error, ParseError::BadChunkSize);
  again = failed.decode("5\r\nhello");
  EXPECT_EQ(again.error, ParseError::BadChunkSize);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(ChunkedDecoder, EncodesChunkHeadersThatItDecodes) {
  EXPECT_EQ(chunkHeader(1), "1\r\n");
  EXPECT_EQ(chunkHeader(0x1a2b), "1a2b\r\n");
  EXPECT_EQ(chunkHeader(SIZE_MAX), "ffffffffffffffff\r\n");
  std::string data(300, 'd');
  std::string body = chunkHeader(data.size()) + data + "\r\n" + std::string(kLastChunk);
  Decoded d = decode(body);
  EXPECT_EQ(d.data, data);
  EXPECT_TRUE(d.done);
}

}  // namespace
}  // namespace gatehouse::http
