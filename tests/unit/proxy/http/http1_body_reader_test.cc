// Http1BodyReader: every framing is read whole, then split at every point, byte by byte, and as
// an input buffer of one-byte segments; each must give the same body, end state and leftover
// input however the bytes arrive.
#include "proxy/http/http1_body_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "proxy/net/libevent_ptr.h"
#include "tests/unit/proxy/http/http1_test_support.h"

namespace gatehouse::http {

inline void PrintTo(Http1BodyReader::State s, std::ostream* os) {
  static constexpr const char* kNames[] = {"Reading", "Done", "Malformed", "TooLarge", "Truncated"};
  *os << kNames[static_cast<int>(s)];
}

namespace {

using State = Http1BodyReader::State;

struct Framing {
  BodyFraming framing = BodyFraming::None;
  uint64_t content_length = 0;
  uint64_t max_body = Http1BodyReader::kNoLimit;
};

// What must not depend on how the input was split.
struct Outcome {
  std::string body;
  State state = State::Reading;
  ParseError error = ParseError::None;
  std::string left;       // input the reader did not take
  uint64_t added = 0;     // the sum of read()'s returns
  uint64_t received = 0;  // received() at the end
  std::vector<Header> trailers;
  bool operator==(const Outcome& o) const {
    auto same = [](const Header& a, const Header& b) {
      return a.name == b.name && a.value == b.value;
    };
    return body == o.body && state == o.state && error == o.error && left == o.left &&
           added == o.added && received == o.received &&
           std::equal(trailers.begin(), trailers.end(), o.trailers.begin(), o.trailers.end(), same);
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "body \"" << o.body << "\", ";
  PrintTo(o.state, &os);
  return os << " (" << describe(o.error) << "), left \"" << o.left << "\", added " << o.added
            << ", received " << o.received << ", " << o.trailers.size() << " trailers";
}

std::string drain(evbuffer* buf) {
  std::string s(evbuffer_get_length(buf), '\0');
  evbuffer_remove(buf, s.data(), s.size());
  return s;
}

Outcome finish(Http1BodyReader& reader, evbuffer* in, evbuffer* out, uint64_t added) {
  Outcome o;
  o.body = drain(out);
  o.state = reader.state();
  o.error = reader.error();
  o.left = drain(in);
  o.added = added;
  o.received = reader.received();
  HeaderMap trailers;
  reader.addTrailersTo(trailers);
  o.trailers.assign(trailers.begin(), trailers.end());
  if (o.state == State::Malformed || o.state == State::TooLarge) {
    // Where a failed body stops reading is not a contract: only the verdict is.
    Outcome verdict;
    verdict.state = o.state;
    verdict.error = o.error;
    return verdict;
  }
  return o;
}

// Delivers `input` in pieces that end at `cuts`, reading after each; the reader keeps reading
// only while Reading, as its callers do.
Outcome readInPieces(const Framing& f, std::string_view input, const std::vector<size_t>& cuts) {
  Http1BodyReader reader;
  reader.start(f.framing, f.content_length, f.max_body);
  net::EvbufferPtr in = net::makeEvbuffer();
  net::EvbufferPtr out = net::makeEvbuffer();
  uint64_t added = 0;
  size_t begin = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    evbuffer_add(in.get(), input.data() + begin, end - begin);
    begin = end;
    added += reader.read(in.get(), out.get());
  }
  return finish(reader, in.get(), out.get(), added);
}

// All of `input` at once, but as one evbuffer segment per byte: the reader must walk segments.
Outcome readAsOneByteSegments(const Framing& f, std::string_view input) {
  Http1BodyReader reader;
  reader.start(f.framing, f.content_length, f.max_body);
  net::EvbufferPtr in = net::makeEvbuffer();
  net::EvbufferPtr out = net::makeEvbuffer();
  for (const char& c : input)
    evbuffer_add_reference(in.get(), &c, 1, nullptr, nullptr);
  uint64_t added = reader.read(in.get(), out.get());
  return finish(reader, in.get(), out.get(), added);
}

// The outcome of the whole input, after checking that every split agrees with it.
Outcome read(const Framing& f, std::string_view input) {
  const Outcome whole = readInPieces(f, input, {});
  for (size_t k = 0; k <= input.size(); ++k)
    EXPECT_EQ(readInPieces(f, input, {k}), whole) << "split at " << k;
  std::vector<size_t> every_byte;
  for (size_t k = 1; k < input.size(); ++k)
    every_byte.push_back(k);
  EXPECT_EQ(readInPieces(f, input, every_byte), whole) << "byte by byte";
  EXPECT_EQ(readAsOneByteSegments(f, input), whole) << "one-byte segments";
  return whole;
}

// A reader between two buffers, for the tests that step it by hand.
struct Stepper {
  explicit Stepper(BodyFraming framing, uint64_t content_length = 0) {
    reader.start(framing, content_length);
  }
  // Appends bytes to the input and reads; returns what read() added.
  uint64_t feed(std::string_view bytes) {
    evbuffer_add(in.get(), bytes.data(), bytes.size());
    return reader.read(in.get(), out.get());
  }
  Http1BodyReader reader;
  net::EvbufferPtr in = net::makeEvbuffer();
  net::EvbufferPtr out = net::makeEvbuffer();
};

constexpr Framing kNone{BodyFraming::None};
Framing length(uint64_t n, uint64_t max_body = Http1BodyReader::kNoLimit) {
  return {BodyFraming::ContentLength, n, max_body};
}
Framing chunked(uint64_t max_body = Http1BodyReader::kNoLimit) {
  return {BodyFraming::Chunked, 0, max_body};
}
constexpr Framing kUntilClose{BodyFraming::UntilClose};

constexpr std::string_view kNext = "GET /next HTTP/1.1\r\n\r\n";

// --- no body ---------------------------------------------------------------------------------

TEST(Http1BodyReader, AMessageWithoutFramingHasNoBodyAndLeavesTheInput) {
  Outcome o = read(kNone, kNext);
  EXPECT_EQ(o.state, State::Done);
  EXPECT_EQ(o.body, "");
  EXPECT_EQ(o.left, kNext);
}

TEST(Http1BodyReader, AContentLengthOfZeroIsDoneAtStart) {
  Http1BodyReader reader;
  reader.start(BodyFraming::ContentLength, 0);
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(read(length(0), kNext).left, kNext);
}

TEST(Http1BodyReader, ADefaultReaderHasNoBodyToRead) {
  Http1BodyReader reader;
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(reader.framing(), BodyFraming::None);
}

// --- Content-Length --------------------------------------------------------------------------

TEST(Http1BodyReader, ReadsExactlyContentLengthBytesAndLeavesTheNextMessage) {
  Outcome o = read(length(5), std::string("hello") + std::string(kNext));
  EXPECT_EQ(o.state, State::Done);
  EXPECT_EQ(o.body, "hello");
  EXPECT_EQ(o.left, kNext);
  EXPECT_EQ(o.added, 5u);
  EXPECT_EQ(o.received, 5u);
}

TEST(Http1BodyReader, APartialContentLengthBodyKeepsReadingAndCountsWhatIsLeft) {
  Stepper s(BodyFraming::ContentLength, 10);
  EXPECT_EQ(s.feed("hell"), 4u);
  EXPECT_EQ(s.reader.state(), State::Reading);
  EXPECT_EQ(s.reader.remaining(), 6u);
  EXPECT_EQ(s.reader.received(), 4u);
  EXPECT_EQ(evbuffer_get_length(s.in.get()), 0u);
}

TEST(Http1BodyReader, TakesNothingOnceDone) {
  Stepper s(BodyFraming::ContentLength, 2);
  s.feed("ab");
  ASSERT_TRUE(s.reader.done());
  EXPECT_EQ(s.feed("cd"), 0u);
  EXPECT_EQ(drain(s.in.get()), "cd");
  EXPECT_EQ(drain(s.out.get()), "ab");
}

// --- chunked ---------------------------------------------------------------------------------

TEST(Http1BodyReader, DecodesAChunkedBodyAndLeavesTheNextMessage) {
  Outcome o =
      read(chunked(), std::string("5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\n\r\n") + std::string(kNext));
  EXPECT_EQ(o.state, State::Done);
  EXPECT_EQ(o.body, "hello!");
  EXPECT_EQ(o.left, kNext);
  EXPECT_EQ(o.received, 6u);
  EXPECT_TRUE(o.trailers.empty());
}

TEST(Http1BodyReader, AnEmptyChunkedBodyEndsAtTheLastChunk) {
  Outcome o = read(chunked(), "0\r\n\r\n");
  EXPECT_EQ(o.state, State::Done);
  EXPECT_EQ(o.body, "");
  EXPECT_EQ(o.left, "");
}

TEST(Http1BodyReader, KeepsTheTrailerFieldsOfAChunkedBodyInOrder) {
  Outcome o = read(chunked(), "3\r\nabc\r\n0\r\nX-Checksum: 1f\r\nX-Other: b\r\n\r\n");
  EXPECT_EQ(o.state, State::Done);
  EXPECT_EQ(o.body, "abc");
  ASSERT_EQ(o.trailers.size(), 2u);
  EXPECT_EQ(o.trailers[0].name, "X-Checksum");
  EXPECT_EQ(o.trailers[0].value, "1f");
  EXPECT_EQ(o.trailers[1].name, "X-Other");
}

TEST(Http1BodyReader, AnUnfinishedChunkedBodyKeepsReading) {
  Outcome o = read(chunked(), "5\r\nhel");
  EXPECT_EQ(o.state, State::Reading);
  EXPECT_EQ(o.body, "hel");
  EXPECT_EQ(o.left, "") << "a partial size line or chunk is the decoder's to keep";
}

TEST(Http1BodyReader, AMalformedChunkEndsTheBodyWithTheDecodersError) {
  Outcome o = read(chunked(), "5\r\nhello\r\nzz\r\n");
  EXPECT_EQ(o.state, State::Malformed);
  EXPECT_EQ(o.error, ParseError::BadChunkSize);
}

TEST(Http1BodyReader, AChunkWithoutItsCrlfIsMalformed) {
  Outcome o = read(chunked(), "5\r\nhelloX\r\n0\r\n\r\n");
  EXPECT_EQ(o.state, State::Malformed);
  EXPECT_EQ(o.error, ParseError::BadChunkTerminator);
}

TEST(Http1BodyReader, TrailersOfOneBodyDoNotCarryOverToTheNext) {
  Stepper s(BodyFraming::Chunked);
  s.feed("0\r\nX-T: 1\r\n\r\n");
  ASSERT_TRUE(s.reader.hasTrailers());
  s.reader.start(BodyFraming::ContentLength, 1);
  s.feed("x");
  ASSERT_TRUE(s.reader.done());
  EXPECT_FALSE(s.reader.hasTrailers());
  HeaderMap trailers;
  s.reader.addTrailersTo(trailers);
  EXPECT_TRUE(trailers.empty());
}

// --- until close (and a tunnel's bytes) ------------------------------------------------------

TEST(Http1BodyReader, ACloseDelimitedBodyTakesEverythingAndEndsAtTheClose) {
  Outcome o = read(kUntilClose, "all of it, " + std::string(kNext));
  EXPECT_EQ(o.state, State::Reading);
  EXPECT_EQ(o.body, "all of it, " + std::string(kNext));
  EXPECT_EQ(o.left, "");

  Http1BodyReader reader;
  reader.start(BodyFraming::UntilClose, 0);
  reader.endOfInput();
  EXPECT_EQ(reader.state(), State::Done);
}

// --- premature end ---------------------------------------------------------------------------

TEST(Http1BodyReader, ACloseBeforeTheDeclaredEndTruncatesTheBody) {
  for (BodyFraming framing : {BodyFraming::ContentLength, BodyFraming::Chunked}) {
    Stepper s(framing, 10);
    s.feed("5\r\nab");
    ASSERT_EQ(s.reader.state(), State::Reading);
    s.reader.endOfInput();
    EXPECT_EQ(s.reader.state(), State::Truncated);
  }
}

TEST(Http1BodyReader, ACloseAfterTheEndChangesNothing) {
  Http1BodyReader reader;
  reader.start(BodyFraming::ContentLength, 0);
  reader.endOfInput();
  EXPECT_EQ(reader.state(), State::Done);
}

// --- limits ----------------------------------------------------------------------------------

TEST(Http1BodyReader, AChunkedBodyOverTheLimitIsTooLarge) {
  EXPECT_EQ(read(chunked(5), "5\r\nhello\r\n0\r\n\r\n").state, State::Done) << "at the limit";
  Outcome o = read(chunked(5), "6\r\nhello!\r\n0\r\n\r\n");
  EXPECT_EQ(o.state, State::TooLarge);
}

TEST(Http1BodyReader, ABodyThatEndsOverTheLimitIsStillTooLarge) {
  Outcome o = read(chunked(3), "4\r\nabcd\r\n0\r\n\r\n");
  EXPECT_EQ(o.state, State::TooLarge);
}

TEST(Http1BodyReader, AContentLengthBodyOverTheLimitIsTooLarge) {
  EXPECT_EQ(read(length(4, 3), "abcd").state, State::TooLarge);
  EXPECT_EQ(read(length(3, 3), "abc").state, State::Done);
}

TEST(Http1BodyReader, AMalformedChunkWinsOverTheLimitInTheSameRead) {
  // Split, the limit may be crossed before the bad bytes arrive: then it is TooLarge.
  Outcome o = readInPieces(chunked(2), "5\r\nhello\r\nzz\r\n", {});
  EXPECT_EQ(o.state, State::Malformed);
}

TEST(Http1BodyReader, WithoutALimitACloseDelimitedBodyIsNeverTooLarge) {
  std::string big(1 << 16, 'x');
  Stepper s(BodyFraming::UntilClose);
  EXPECT_EQ(s.feed(big), big.size());
  EXPECT_EQ(s.reader.state(), State::Reading);
}

}  // namespace
}  // namespace gatehouse::http
