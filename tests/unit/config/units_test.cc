#include "config/units.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::config {
namespace {

struct DurationCase {
  std::string text;
  long long millis;
};

TEST(ParseDuration, AcceptsEveryUnit) {
  const DurationCase cases[] = {
      {"0ms", 0},      {"500ms", 500},         {"1s", 1000},
      {"10s", 10000},  {"2m", 120000},         {"1h", 3600000},
      {"010s", 10000}, {"8760h", 31536000000}, {"31536000s", 31536000000},
  };
  for (const auto& c : cases) {
    auto d = parseDuration(c.text);
    ASSERT_TRUE(d) << c.text << ": " << d.error().message;
    EXPECT_EQ(d->count(), c.millis) << c.text;
  }
}

struct RejectCase {
  std::string text;
  std::string why;
};

TEST(ParseDuration, RejectsWithAReason) {
  const RejectCase cases[] = {
      {"", "bad duration \"\": empty (like 10s)"},
      {"30", "bad duration \"30\": needs a unit (ms, s, m or h)"},
      {"-1s", "bad duration \"-1s\": must not be negative"},
      {"+1s", "bad duration \"+1s\": expected a whole number (like 10s)"},
      {"s", "bad duration \"s\": expected a whole number (like 10s)"},
      {"1.5s", "bad duration \"1.5s\": fractions are not supported; use a smaller unit"},
      {"10x", "bad duration \"10x\": unknown unit \"x\" (use ms, s, m or h)"},
      {"10S", "bad duration \"10S\": unknown unit \"S\" (use ms, s, m or h)"},
      {"10 s", "bad duration \"10 s\": unknown unit \" s\" (use ms, s, m or h)"},
      {"1d", "bad duration \"1d\": unknown unit \"d\" (use ms, s, m or h)"},
      {"8761h", "bad duration \"8761h\": too large (at most 8760h)"},
      {"99999999999999999999s", "bad duration \"99999999999999999999s\": too large"},
      {"5124095576030431h", "bad duration \"5124095576030431h\": too large (at most 8760h)"},
  };
  for (const auto& c : cases) {
    auto d = parseDuration(c.text);
    ASSERT_FALSE(d) << c.text;
    EXPECT_EQ(d.error().message, c.why);
  }
}

struct SizeCase {
  std::string text;
  uint64_t bytes;
};

TEST(ParseByteSize, AcceptsPlainBytesAndBinaryUnits) {
  const SizeCase cases[] = {
      {"0", 0},
      {"8192", 8192},
      {"512B", 512},
      {"8KiB", 8 << 10},
      {"256MiB", uint64_t{256} << 20},
      {"1GiB", uint64_t{1} << 30},
      {"1048576GiB", uint64_t{1} << 50},
  };
  for (const auto& c : cases) {
    auto s = parseByteSize(c.text);
    ASSERT_TRUE(s) << c.text << ": " << s.error().message;
    EXPECT_EQ(s->bytes(), c.bytes) << c.text;
  }
}

TEST(ParseByteSize, RejectsWithAReason) {
  const RejectCase cases[] = {
      {"", "bad size \"\": empty (like 8KiB)"},
      {"-1", "bad size \"-1\": must not be negative"},
      {"KiB", "bad size \"KiB\": expected a whole number (like 8KiB)"},
      {"1.5MiB", "bad size \"1.5MiB\": fractions are not supported; use a smaller unit"},
      {"8KB", "bad size \"8KB\": unknown unit \"KB\" (use KiB, MiB or GiB, or a number of bytes)"},
      {"8k", "bad size \"8k\": unknown unit \"k\" (use KiB, MiB or GiB, or a number of bytes)"},
      {"1TiB",
       "bad size \"1TiB\": unknown unit \"TiB\" (use KiB, MiB or GiB, or a number of bytes)"},
      {"1048577GiB", "bad size \"1048577GiB\": too large (at most 1048576GiB)"},
      {"17179869184GiB", "bad size \"17179869184GiB\": too large (at most 1048576GiB)"},
      {"18446744073709551616", "bad size \"18446744073709551616\": too large"},
  };
  for (const auto& c : cases) {
    auto s = parseByteSize(c.text);
    ASSERT_FALSE(s) << c.text;
    EXPECT_EQ(s.error().message, c.why);
  }
}

TEST(FormatByteSize, UsesTheLargestExactUnit) {
  EXPECT_EQ(formatByteSize(ByteSize(0)), "0");
  EXPECT_EQ(formatByteSize(ByteSize(256)), "256");
  EXPECT_EQ(formatByteSize(ByteSize(1536)), "1536");
  EXPECT_EQ(formatByteSize(ByteSize::kib(8)), "8KiB");
  EXPECT_EQ(formatByteSize(ByteSize::kib(1536)), "1536KiB");
  EXPECT_EQ(formatByteSize(ByteSize::mib(100)), "100MiB");
  EXPECT_EQ(formatByteSize(ByteSize::gib(2)), "2GiB");
}

TEST(FormatByteSize, RoundTripsThroughParse) {
  for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{1023}, uint64_t{1} << 10, uint64_t{3} << 20,
                     (uint64_t{5} << 30) + 1}) {
    auto parsed = parseByteSize(formatByteSize(ByteSize(n)));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->bytes(), n);
  }
}

}  // namespace
}  // namespace gatehouse::config
