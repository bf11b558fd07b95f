// HTTP-date (RFC 9110 §5.6.7), one row per case, each citing its section. The cache's
// freshness and static files' validators both read dates with it.
#include "proxy/http/http_date.h"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

constexpr int64_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example)

TEST(HttpDate, ParsesEachFormAsRfc9110Says) {
  struct Row {
    const char* text;
    std::optional<int64_t> time;
    const char* why;
  } rows[] = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", k1994, "§5.6.7 IMF-fixdate"},
      {"Sunday, 06-Nov-94 08:49:37 GMT", k1994, "§5.6.7 obsolete RFC 850 form"},
      {"Sun Nov  6 08:49:37 1994", k1994, "§5.6.7 obsolete asctime form"},
      {"Sun Nov 06 08:49:37 1994", k1994, "§5.6.7 asctime date3 with 2DIGIT"},
      {"sun, 06 nov 1994 08:49:37 GMT", k1994, "RFC 9111 §4.2 caches match names in any case"},
      {"  Sun, 06 Nov 1994 08:49:37 GMT ", k1994, "§5.5 OWS around a field value"},
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0, "§5.6.7 IMF-fixdate"},
      {"Tue, 29 Feb 2000 00:00:00 GMT", 951782400, "§5.6.7 day exists: 2000 is a leap year"},
      {"Wed, 31 Dec 1969 23:59:60 GMT", 0, "§5.6.7 second = 2DIGIT, 60 a leap second"},
      {"Thursday, 01-Jan-70 00:00:00 GMT", 0, "§5.6.7 RFC 850 two-digit year 70 -> 1970"},
      {"Saturday, 01-Jan-00 00:00:00 GMT", 946684800, "§5.6.7 RFC 850 two-digit year 00 -> 2000"},
      {"", std::nullopt, "§5.6.7 empty"},
      {"0", std::nullopt, "RFC 9111 §5.3 \"0\" is an invalid date"},
      {"-1", std::nullopt, "§5.6.7 not a date"},
      {"Sun, 06 Nov 1994 08:49:37", std::nullopt, "§5.6.7 IMF-fixdate ends in GMT"},
      {"Sun, 06 Nov 1994 08:49:37 GMT+1", std::nullopt, "§5.6.7 nothing after GMT"},
      {"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt, "§5.6.7 month is one of twelve names"},
      {"Sun, 32 Nov 1994 08:49:37 GMT", std::nullopt, "§5.6.7 no such day"},
      {"Thu, 31 Apr 1994 08:49:37 GMT", std::nullopt, "§5.6.7 April has no 31st"},
      {"Mon, 29 Feb 2100 00:00:00 GMT", std::nullopt, "§5.6.7 2100 is no leap year"},
      {"Sun, 06 Nov 1994 25:49:37 GMT", std::nullopt, "§5.6.7 hour = 00-23"},
      {"Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt, "§5.6.7 IMF-fixdate day = 2DIGIT"},
      {"Sun , 06 Nov 1994 08:49:37 GMT", std::nullopt, "§5.6.7 day-name \",\" SP"},
      {"123, 06 Nov 1994 08:49:37 GMT", std::nullopt, "§5.6.7 day-name is letters"},
      {"Sun Nov 6 08:49:37 1994", std::nullopt, "§5.6.7 asctime pads a one-digit day with SP"},
  };
  for (const Row& row : rows)
    EXPECT_EQ(parseHttpDate(row.text), row.time) << "'" << row.text << "': " << row.why;
}

TEST(HttpDate, FormatsImfFixdateThatParsesBack) {
  struct Row {
    int64_t time;
    const char* text;
  } rows[] = {
      {k1994, "Sun, 06 Nov 1994 08:49:37 GMT"},  // §5.6.7 the preferred format
      {0, "Thu, 01 Jan 1970 00:00:00 GMT"},          {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
      {4102444799, "Thu, 31 Dec 2099 23:59:59 GMT"}, {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(formatHttpDate(row.time), row.text);
    EXPECT_EQ(parseHttpDate(formatHttpDate(row.time)), row.time) << row.text;
  }
}

}  // namespace
}  // namespace gatehouse::http
