// Http2FieldPlan: the description of field lines HTTP/2 works out once (a stored response's), and
// Http2ResponseFields following it: the header block must be exactly the one walking the lines
// gives.
#include "proxy/http/http2_field_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "proxy/http/field_lines.h"
#include "proxy/http/http2_response_fields.h"
#include "tests/support/http2_header_block.h"

namespace gatehouse::http {
namespace {

using gatehouse::testing::Nv;

// The header block of `lines` sent with `plan` (a second run after it: `then`), and the one
// walking them gives.
std::vector<Nv> planned(std::string_view lines, std::span<const Http2PlannedField> plan,
                        std::span<const Http2PlannedField> then = {}) {
  ResponseHead head;
  head.preformatted = lines;
  head.http2_fields = {plan, then};
  return gatehouse::testing::headerBlock(Http2ResponseFields(200, head, uint64_t{5}));
}
std::vector<Nv> walked(std::string_view lines) {
  return planned(lines, {});
}

TEST(Http2FieldPlan, KnowsEachNameInAnyCaseAndNoOther) {
  struct Row {
    std::string_view name;
    std::string_view lower;  // empty: not a known name
    Http2NameRole role;
  };
  const Row rows[] = {
      {"TE", "te", Http2NameRole::Drop},
      {"age", "age", Http2NameRole::Keep},
      {"Via", "via", Http2NameRole::Keep},
      {"DATE", "date", Http2NameRole::Keep},
      {"ETag", "etag", Http2NameRole::Keep},
      {"Server", "server", Http2NameRole::Keep},
      {"Upgrade", "upgrade", Http2NameRole::Drop},
      {"Location", "location", Http2NameRole::Keep},
      {"Keep-Alive", "keep-alive", Http2NameRole::Drop},
      {"Set-Cookie", "set-cookie", Http2NameRole::Keep},
      {"X-Request-ID", "x-request-id", Http2NameRole::NoIndex},
      {"Cache-Status", "cache-status", Http2NameRole::Keep},
      {"Last-Modified", "last-modified", Http2NameRole::Keep},
      {"Content-Length", "content-length", Http2NameRole::Drop},
      {"Proxy-Connection", "proxy-connection", Http2NameRole::Drop},
      {"Transfer-Encoding", "transfer-encoding", Http2NameRole::Drop},
      {"Strict-Transport-Security", "strict-transport-security", Http2NameRole::Keep},
      // Unknown: other names of a known one's length, one byte off at either end or within.
      {"tf", "", Http2NameRole::Keep},
      {"agf", "", Http2NameRole::Keep},
      {"bge", "", Http2NameRole::Keep},
      {"x-request-ie", "", Http2NameRole::Keep},
      {"y-request-id", "", Http2NameRole::Keep},
      {"x-requesT_id", "", Http2NameRole::Keep},
      {"Content-Lengths", "", Http2NameRole::Keep},
      {"strict-transport-securitx", "", Http2NameRole::Keep},
      {"strict-transpoRt-sEcurity-", "", Http2NameRole::Keep},
      {"strict-transporx-security", "", Http2NameRole::Keep},
      {"X", "", Http2NameRole::Keep},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.name));
    const uint8_t id = http2KnownNameId(r.name);
    EXPECT_EQ(id != 0, !r.lower.empty());
    EXPECT_EQ(http2KnownName(id).lower, r.lower);
    EXPECT_EQ(http2KnownName(id).role, r.role);
  }
}

TEST(Http2FieldPlan, DescribesEachLine) {
  std::string lines;
  appendFieldLine(lines, "Content-Type", "text/html");
  appendFieldLine(lines, "X-Empty", "");
  appendFieldLine(lines, "X-Colon", "a: b:c");
  const std::vector<Http2PlannedField> plan = planHttp2Fields(lines);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].valueLength(), 9u);
  EXPECT_EQ(http2KnownName(plan[0].name_id).lower, "content-type");
  EXPECT_EQ(plan[1].valueLength(), 0u);
  EXPECT_EQ(plan[1].name_id, 0u);
  EXPECT_EQ(plan[2].name_id, 0u);
  EXPECT_EQ(plan[2].valueLength(), 6u);
}

// The rules the walk applies (drops, lowercase static names, NO_INDEX, order) hold the same
// through a plan, for every kind of line, and for lines after the planned ones (a hit's own).
TEST(Http2FieldPlan, FieldsThroughAPlanAreTheWalkedOnes) {
  std::string lines;
  appendFieldLine(lines, "Server", "nginx");
  appendFieldLine(lines, "content-type", "text/plain");
  appendFieldLine(lines, "X-Custom-Field", "Mixed Case Value");
  appendFieldLine(lines, "Connection", "close");           // dropped (RFC 9113 §8.2.2)
  appendFieldLine(lines, "Content-Length", "99");          // dropped: the codec writes its own
  appendFieldLine(lines, "Transfer-Encoding", "chunked");  // dropped
  appendFieldLine(lines, "X-Empty", "");
  appendFieldLine(lines, "Link", "</a.css>; rel=preload, </b.js>; rel=preload");
  appendFieldLine(lines, "X-Request-Id", "stored-id");
  appendFieldLine(lines, "X-Long", std::string(65535, 'v'));  // the longest a plan describes
  appendFieldLine(lines, "Trailer", "X-Checksum");
  const std::vector<Http2PlannedField> plan = planHttp2Fields(lines);
  ASSERT_EQ(plan.size(), 11u);
  std::string with_hit_fields = lines;
  appendFieldLine(with_hit_fields, "Age", "0");
  appendFieldLine(with_hit_fields, "Cache-Status", "gatehouse; hit; ttl=3599");
  appendFieldLine(with_hit_fields, "X-Request-Id", "id-of-this-hit");
  appendFieldLine(with_hit_fields, "Accept-Ranges", "bytes");

  const std::vector<Nv> expected = walked(with_hit_fields);
  EXPECT_EQ(planned(with_hit_fields, plan), expected);
  const std::vector<Http2PlannedField> hit_plan =
      planHttp2Fields(std::string_view(with_hit_fields).substr(lines.size()));
  EXPECT_EQ(planned(with_hit_fields, plan, hit_plan), expected);
  // An object without fields: the hit's lines come first.
  EXPECT_EQ(planned(std::string_view(with_hit_fields).substr(lines.size()), {}, hit_plan),
            walked(std::string_view(with_hit_fields).substr(lines.size())));
  // What the walk gives, spelled out once: a plan must not be compared with a broken walk.
  const std::vector<std::string> names = {
      ":status",      "server",       "content-type",  "X-Custom-Field", "X-Empty",
      "link",         "x-request-id", "X-Long",        "Trailer",        "age",
      "cache-status", "x-request-id", "accept-ranges", "content-length"};
  ASSERT_EQ(expected.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(std::get<0>(expected[i]), names[i]);
  EXPECT_EQ(std::get<1>(expected[3]), "Mixed Case Value");
  EXPECT_EQ(std::get<1>(expected[13]), "5");
  for (size_t i : {6u, 11u})
    EXPECT_TRUE(std::get<2>(expected[i]) & NGHTTP2_NV_FLAG_NO_INDEX) << std::get<0>(expected[i]);
  EXPECT_FALSE(std::get<2>(expected[3]) & NGHTTP2_NV_FLAG_NO_COPY_NAME)
      << "nghttp2 copies and lowercases an unknown name";
}

// Every line has its entry, so that a second run can follow: a long name, and a value of 64 KiB
// or more (found by its line's end).
TEST(Http2FieldPlan, DescribesEveryLineLongOnesToo) {
  for (size_t huge : {size_t{65534}, size_t{65535}, size_t{65536}, size_t{70000}}) {
    std::string lines;
    appendFieldLine(lines, "ETag", "\"1\"");
    appendFieldLine(lines, std::string(300, 'n'), "a long name");
    appendFieldLine(lines, "X-Huge", std::string(huge, 'v'));
    appendFieldLine(lines, "Vary", "Accept");
    const std::vector<Http2PlannedField> plan = planHttp2Fields(lines);
    EXPECT_EQ(plan.size(), 4u);
    std::string hit = lines;
    appendFieldLine(hit, "Age", "12");
    const std::vector<Http2PlannedField> then = planHttp2Fields("Age: 12\r\n");
    EXPECT_EQ(planned(hit, plan, then), walked(hit));
    EXPECT_EQ(std::get<1>(walked(hit)[3]).size(), huge);
    EXPECT_EQ(walked(hit).size(), 7u);  // :status, the five, content-length
  }
}

// The second run (a hit's own lines) is followed only after the whole first one: were the first
// to stop early, the second would describe other lines.
TEST(Http2FieldPlan, TheSecondRunFollowsTheWholeFirstOnly) {
  std::string stored;
  appendFieldLine(stored, "Content-Type", "text/html");
  appendFieldLine(stored, "Foo", "1");
  const std::vector<Http2PlannedField> plan = planHttp2Fields(stored);
  const std::vector<Http2PlannedField> then = planHttp2Fields("Age: 1\r\n");
  std::string hit = stored;
  appendFieldLine(hit, "Age", "1");
  EXPECT_EQ(planned(hit, plan, then), walked(hit));
  // The first run cut short (one entry for two lines): "Foo: 1" fits Age's entry by its
  // length, but must not go out as age.
  std::string other;
  appendFieldLine(other, "X", "text/html");
  appendFieldLine(other, "Foo", "1");
  appendFieldLine(other, "Age", "1");
  EXPECT_EQ(planned(other, std::span(plan).first(1), then), walked(other));
  EXPECT_EQ(std::get<0>(planned(other, std::span(plan).first(1), then)[2]), "Foo");
}

// A plan that is not that of the lines (a head whose lines were replaced) is not followed past
// the first line where it does not fit: the rest is walked.
TEST(Http2FieldPlan, APlanThatDoesNotFitTheLinesIsLeft) {
  std::string stored;
  appendFieldLine(stored, "Content-Type", "text/html");
  appendFieldLine(stored, "Date", "Sun, 06 Dec 2026 12:00:00 GMT");
  const std::vector<Http2PlannedField> plan = planHttp2Fields(stored);
  std::string other;
  appendFieldLine(other, "Content-Type", "text/html");
  appendFieldLine(other, "Connection", "close, x");
  appendFieldLine(other, "Server", "x");
  EXPECT_EQ(planned(other, plan), walked(other));
  EXPECT_EQ(planned("", plan), walked(""));
  std::string shorter;
  appendFieldLine(shorter, "Content-Type", "text/html");
  EXPECT_EQ(planned(shorter, plan), walked(shorter));
}

}  // namespace
}  // namespace gatehouse::http
