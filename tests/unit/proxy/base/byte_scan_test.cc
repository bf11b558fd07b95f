#include "proxy/base/byte_scan.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::ascii {
namespace {

size_t firstControlOrDel(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x20 || c == 0x7F) return i;
  }
  return s.size();
}

TEST(FindControlOrDel, FindsEachStopByteAtEveryPositionAndLength) {
  // Every byte value at every position of buffers from 0 to 40 bytes (the sixteen-byte steps
  // and the byte-by-byte tail), over a background of bytes that never stop the scan (SP, VCHAR
  // and obs-text, which SSE2's signed compares would misread if done naively).
  for (size_t n = 0; n <= 40; ++n) {
    std::string s(n, 'v');
    for (size_t i = 0; i < n; ++i)
      s[i] = static_cast<char>(i % 3 == 0 ? 0x80 + i : i % 3 == 1 ? ' ' : '~');
    ASSERT_EQ(findControlOrDel(s.data(), s.data() + n), s.data() + n) << n;
    for (size_t at = 0; at < n; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string t = s;
        t[at] = static_cast<char>(c);
        ASSERT_EQ(static_cast<size_t>(findControlOrDel(t.data(), t.data() + n) - t.data()),
                  firstControlOrDel(t))
            << n << " " << at << " " << c;
      }
    }
  }
}

TEST(FindControlOrDel, NeverReadsPastTheEnd) {
  // The scan of a prefix stops at its end even when the byte after it would stop it.
  const std::string s = std::string(20, 'a') + "\r\n";
  for (size_t n = 0; n <= 20; ++n)
    EXPECT_EQ(findControlOrDel(s.data(), s.data() + n), s.data() + n);
}

}  // namespace
}  // namespace gatehouse::ascii
