#include "admin-api/tail_filter.h"

#include <gtest/gtest.h>

namespace gatehouse::admin {
namespace {

// The views point at string literals, which outlive the table.
server::TapEntry entry(int status, const char* target, const char* server = "app/app1",
                       const char* cache = "") {
  server::TapEntry e;
  e.status = status;
  e.target = target;
  e.server = server;
  e.cache = cache;
  e.host = "example.com";
  return e;
}

TEST(TailFilter, MatchesEachFilterAsDocumented) {
  struct Row {
    const char* query;
    server::TapEntry e;
    bool match;
  };
  const Row rows[] = {
      {"", entry(200, "/"), true},
      {"filter=status%3E%3D500", entry(503, "/"), true},
      {"filter=status%3E%3D500", entry(404, "/"), false},
      {"status=404", entry(404, "/"), true},
      {"status=%21%3D200", entry(200, "/"), false},
      {"status=%3C400", entry(302, "/"), true},
      {"path=/api/", entry(200, "/api/x?q=1"), true},
      {"path=/api/", entry(200, "/apix"), false},
      {"server=app/app2", entry(200, "/"), false},
      {"server=app%2Fapp1", entry(200, "/"), true},
      {"cache=miss", entry(200, "/", "", "gatehouse; fwd=uri-miss; stored"), true},
      {"cache=hit", entry(200, "/", "", "gatehouse; fwd=uri-miss"), false},
      {"host=example.com&status=200", entry(200, "/"), true},
      {"host=other&status=200", entry(200, "/"), false},
  };
  for (const Row& row : rows) {
    auto f = TailFilter::parse(row.query);
    ASSERT_TRUE(f) << row.query << ": " << f.error().message;
    EXPECT_EQ(f->matches(row.e), row.match) << row.query;
  }
}

TEST(TailFilter, RefusesWhatItCannotRead) {
  for (const char* q :
       {"color=red", "status=abc", "filter=status%3E%3E5", "status=1000", "path=%zz", "path=%4"})
    EXPECT_FALSE(TailFilter::parse(q)) << q;
}

TEST(TailFilter, DecodesPercentEscapesAndPlus) {
  EXPECT_EQ(percentDecode("a%2Fb+c"), "a/b c");
  EXPECT_EQ(percentDecode("%"), std::nullopt);
  EXPECT_EQ(percentDecode("%4"), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::admin
