#include "proxy/base/ascii.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::ascii {
namespace {

// The definition iequals must keep, byte by byte.
bool referenceIequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (toLower(a[i]) != toLower(b[i])) return false;
  return true;
}

TEST(AsciiIequals, FoldsLettersOnlyAtEveryLength) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("TRANSFER-ENCODING", "transfer-encoding"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Host", "Hosts"));
  // Lengths 1 to 40 cover the byte loop, the two-load short form and the eight-byte steps with
  // an overlapping last step; a difference at each position must be seen.
  for (size_t n = 1; n <= 40; ++n) {
    std::string lower(n, 'a'), upper(n, 'A');
    for (size_t i = 0; i < n; ++i)
      lower[i] = static_cast<char>('a' + i % 26), upper[i] = static_cast<char>('A' + i % 26);
    ASSERT_TRUE(iequals(lower, upper)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string changed = upper;
      changed[i] = '-';
      ASSERT_FALSE(iequals(lower, changed)) << n << " at " << i;
    }
  }
}

TEST(AsciiIequals, AgreesWithTheByteDefinitionOnEveryPairOfBytes) {
  // Every pair of byte values, in each of the eight positions of a word and in the short form:
  // the neighbours of the letters ('@', '[', '`', '{') and bytes from 0x80 (0xC1 is not 0xE1)
  // must not fold.
  for (size_t n : {5u, 8u, 13u}) {
    for (size_t at = 0; at < n; ++at) {
      std::string a(n, 'x'), b(n, 'x');
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          a[at] = static_cast<char>(x);
          b[at] = static_cast<char>(y);
          ASSERT_EQ(iequals(a, b), referenceIequals(a, b))
              << n << " " << at << " " << x << " " << y;
        }
      }
    }
  }
}

TEST(AsciiIequals, WorksAtCompileTime) {
  static_assert(iequals("Upgrade", "upgrade"));
  static_assert(!iequals("Upgrade", "upgrades"));
}

}  // namespace
}  // namespace gatehouse::ascii
