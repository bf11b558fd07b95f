#include "cache/http_date.h"

#include <gtest/gtest.h>

namespace gatehouse::cache {
namespace {

constexpr int64_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example)

TEST(HttpDate, ParsesTheThreeFormsOfRfc9110) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), k1994);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), k1994);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), k1994);
}

TEST(HttpDate, RejectsWhatIsNotADate) {
  for (const char* bad :
       {"", "0", "-1", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"})
    EXPECT_FALSE(parseHttpDate(bad)) << bad;
}

TEST(HttpDate, FormatsImfFixdateAndRoundTrips) {
  EXPECT_EQ(formatHttpDate(k1994), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(formatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  for (int64_t t : {int64_t{0}, k1994, int64_t{951782400} /* 2000-02-29 */, int64_t{4102444799}})
    EXPECT_EQ(parseHttpDate(formatHttpDate(t)), t);
}

}  // namespace
}  // namespace gatehouse::cache
