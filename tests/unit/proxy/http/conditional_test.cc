// Preconditions of a GET or HEAD (RFC 9110 §13), one row per case, each citing its section.
// Static files and the cache's hits both answer with these rules.
#include "proxy/http/conditional.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace gatehouse::http {
namespace {

constexpr const char* kModified = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr Validators kCurrent{"\"abc\"", kModified};

struct Row {
  std::vector<std::pair<const char*, const char*>> fields;
  Validators current;
  bool expect;
  const char* why;  // the RFC 9110 section that decides
};

HeaderMap headersOf(const Row& row) {
  HeaderMap h;
  for (const auto& [name, value] : row.fields)
    h.add(name, value);
  return h;
}

TEST(Conditional, IsNotModifiedAsRfc9110Says) {
  const Row rows[] = {
      {{{"If-None-Match", "\"abc\""}}, kCurrent, true, "§13.1.2 a listed tag matches"},
      {{{"If-None-Match", "W/\"abc\""}}, kCurrent, true, "§8.8.3.2 weak comparison"},
      {{{"If-None-Match", "\"x\", \"abc\""}}, kCurrent, true, "§13.1.2 any tag of the list"},
      {{{"If-None-Match", "\"a\", W/\"b\""}}, {"\"b\"", ""}, true, "§8.8.3.2 weak comparison"},
      {{{"If-None-Match", "\"abc\""}}, {"W/\"abc\"", ""}, true, "§8.8.3.2 a weak stored tag"},
      {{{"If-None-Match", "\"x\""}, {"If-None-Match", "\"abc\""}},
       kCurrent,
       true,
       "§5.3 a list split over field lines"},
      {{{"If-None-Match", "*"}}, kCurrent, true, "§13.1.2 \"*\" matches a current one"},
      {{{"If-None-Match", "*"}}, {"", ""}, true, "§13.1.2 \"*\" needs no ETag"},
      {{{"If-None-Match", "\"a,b\""}}, {"\"a,b\"", ""}, true, "§8.8.3 etagc includes \",\""},
      {{{"If-None-Match", "\"a\", \"b\""}}, {"\"a\", \"b\"", ""}, false, "§8.8.3 one tag each"},
      {{{"If-None-Match", "\"abcd\""}}, kCurrent, false, "§13.1.2 no listed tag matches"},
      {{{"If-None-Match", "\"abc\""}}, {"", kModified}, false, "§13.1.2 no ETag to match"},
      {{{"If-None-Match", "\"x\""}, {"If-Modified-Since", kModified}},
       kCurrent,
       false,
       "§13.2.2 If-None-Match decides, If-Modified-Since is ignored"},
      {{{"If-Modified-Since", kModified}}, kCurrent, true, "§13.1.3 not modified since"},
      {{{"If-Modified-Since", "Mon, 07 Nov 1994 00:00:00 GMT"}},
       kCurrent,
       true,
       "§13.1.3 not modified since a later date"},
      {{{"If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"}},
       kCurrent,
       true,
       "§5.6.7 an obsolete date form"},
      {{{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}},
       kCurrent,
       false,
       "§13.1.3 modified after it"},
      {{{"If-Modified-Since", "yesterday"}}, kCurrent, false, "§13.1.3 not a date: ignored"},
      {{{"If-Modified-Since", kModified}}, {"\"abc\"", ""}, false, "§13.1.3 no Last-Modified"},
      {{}, kCurrent, false, "§13.2.2 no precondition"},
  };
  for (const Row& row : rows)
    EXPECT_EQ(isNotModified(headersOf(row), row.current), row.expect) << row.why;
}

TEST(Conditional, IfRangeAllowsTheRangeAsRfc9110Says) {
  const Row rows[] = {
      {{}, kCurrent, true, "§13.1.5 no If-Range"},
      {{{"If-Range", "\"abc\""}}, kCurrent, true, "§13.1.5 strong match"},
      {{{"If-Range", "W/\"abc\""}}, kCurrent, false, "§13.1.5 a weak tag never matches"},
      {{{"If-Range", "\"abc\""}}, {"W/\"abc\"", ""}, false, "§8.8.3.2 strong comparison"},
      {{{"If-Range", "\"old\""}}, kCurrent, false, "§13.1.5 another representation"},
      {{{"If-Range", kModified}}, kCurrent, true, "§13.1.5 the exact Last-Modified date"},
      {{{"If-Range", "Sun, 06 Nov 1994 08:49:38 GMT"}}, kCurrent, false, "§13.1.5 any other date"},
      {{{"If-Range", kModified}}, {"\"abc\"", ""}, false, "§13.1.5 no Last-Modified to match"},
      {{{"If-Range", "garbage"}}, kCurrent, false, "§13.1.5 neither tag nor date"},
  };
  for (const Row& row : rows)
    EXPECT_EQ(ifRangeAllows(headersOf(row), row.current), row.expect) << row.why;
}

}  // namespace
}  // namespace gatehouse::http
