#pragma once
// Shared by the Http1Parser tests: every input is parsed whole and then fed as every prefix,
// because a head arrives in pieces and a parser that decides differently on a piece is a
// request-smuggling bug.

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "proxy/http/http1_parser.h"

namespace gatehouse::http {

// gtest prints enums as numbers; the words make failures readable.
inline void PrintTo(ParseError e, std::ostream* os) {
  *os << describe(e);
}

namespace testsupport {

// What must not depend on how the input was split.
struct Verdict {
  ParseState state = ParseState::Incomplete;
  ParseError error = ParseError::None;
  size_t head_length = 0;
  bool operator==(const Verdict&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  static constexpr const char* kStates[] = {"Complete", "Incomplete", "Error"};
  return os << kStates[static_cast<int>(v.state)] << " (" << describe(v.error) << ", head_length "
            << v.head_length << ")";
}

template <typename Head>
Verdict verdictOf(const ParseOutcome<Head>& o) {
  return {o.state, o.error, o.head.head_length};
}

// Feeds every proper prefix of `input`, each in its own exact-size heap block so that ASan
// sees any read past it, and expects Incomplete until the verdict of the whole input, then that
// verdict for every longer prefix. `parse` maps a string_view to a Verdict.
template <typename Parse>
void expectSameVerdictAtEverySplit(std::string_view input, Parse parse) {
  const Verdict whole = parse(input);
  bool decided = false;
  for (size_t k = 0; k < input.size(); ++k) {
    std::unique_ptr<char[]> copy(new char[k == 0 ? 1 : k]);
    input.copy(copy.get(), k);
    Verdict v = parse(std::string_view(copy.get(), k));
    if (!decided && v.state == ParseState::Incomplete) continue;
    decided = true;
    ASSERT_EQ(v, whole) << "prefix of " << k << " bytes of " << ::testing::PrintToString(input);
  }
}

inline Verdict requestVerdict(std::string_view input, ParseLimits limits = {}) {
  Http1Parser parser(limits);
  auto parse = [&](std::string_view in) { return verdictOf(parser.parseRequest(in)); };
  expectSameVerdictAtEverySplit(input, parse);
  return parse(input);
}

inline Verdict responseVerdict(std::string_view input, std::string_view method = "GET",
                               ParseLimits limits = {}) {
  Http1Parser parser(limits);
  auto parse = [&](std::string_view in) { return verdictOf(parser.parseResponse(in, method)); };
  expectSameVerdictAtEverySplit(input, parse);
  return parse(input);
}

// The error a complete input is rejected with (None if it was accepted), checked at every split.
inline ParseError requestError(std::string_view input, ParseLimits limits = {}) {
  Verdict v = requestVerdict(input, limits);
  EXPECT_NE(v.state, ParseState::Incomplete) << ::testing::PrintToString(input);
  return v.error;
}

inline ParseError responseError(std::string_view input, std::string_view method = "GET",
                                ParseLimits limits = {}) {
  Verdict v = responseVerdict(input, method, limits);
  EXPECT_NE(v.state, ParseState::Incomplete) << ::testing::PrintToString(input);
  return v.error;
}

// A request head with the given field lines (each ending in CRLF) after "Host: a".
inline std::string get(std::string_view fields, std::string_view request_line = "GET / HTTP/1.1") {
  return std::string(request_line) + "\r\nHost: a\r\n" + std::string(fields) + "\r\n";
}

inline std::string post(std::string_view fields) {
  return get(fields, "POST / HTTP/1.1");
}

}  // namespace testsupport
}  // namespace gatehouse::http
