// AccessLog::format: the combined line, field by field (quoting, dashes, protocol, the
// aborted mark), and the JSON line's shape. rt= is masked where a test is about other fields.
#include "proxy/server/access_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace gatehouse::server {
namespace {

class NullDownstream final : public http::Downstream {
 public:
  void sendHead(const http::ResponseHead&) override {}
  void sendBody(evbuffer*) override {}
  void sendEnd() override {}
  size_t pendingOutput() const override { return 0; }
  void pauseRequestBody() override {}
  void resumeRequestBody() override {}
  void abort() override {}
};

// 2026-11-25 04:50:00.042 UTC
const ExchangeEnd kNow =
    ExchangeEnd::at(std::chrono::system_clock::time_point(std::chrono::seconds(1795582200)) +
                        std::chrono::milliseconds(42),
                    std::chrono::microseconds(1500));

std::string masked(std::string line) {
  return std::regex_replace(line, std::regex(R"(rt=\d+\.\d{3} )"), "rt=X ");
}

struct Fixture {
  NullDownstream downstream;
  http::ClientInfo client{"192.0.2.7", 40000, true};

  std::unique_ptr<http::Exchange> exchange(http::RequestHead head) {
    return std::make_unique<http::Exchange>(std::move(head), client, "5f3c9a1e00000001",
                                            downstream);
  }
};

http::RequestHead get(std::string target) {
  http::RequestHead r;
  r.method = "GET";
  r.target = std::move(target);
  r.authority = "example.com";
  return r;
}

TEST(AccessLog, CombinedLineHasEveryField) {
  Fixture f;
  http::RequestHead head = get("/a?b=1");
  head.headers.add("Referer", "https://example.com/");
  head.headers.add("User-Agent", "curl/7.88.1");
  auto ex = f.exchange(std::move(head));
  ex->record().status = 200;
  ex->record().bytes_sent = 1024;
  ex->record().server = "origin/o1";
  ex->record().cache_status.assign("hit");
  EXPECT_EQ(masked(AccessLog::format(*ex, config::AccessLogFormat::Combined, kNow)),
            "192.0.2.7 - - [25/Nov/2026:04:50:00 +0000] \"GET /a?b=1 HTTP/1.1\" 200 1024 "
            "\"https://example.com/\" \"curl/7.88.1\" rt=X server=origin/o1 cache=\"hit\" "
            "id=5f3c9a1e00000001 time=2026-11-25T04:50:00.042Z\n");
}

TEST(AccessLog, CombinedLineDashesEmptyFieldsAndMarksAborted) {
  Fixture f;
  f.client.protocol = "HTTP/2";
  auto ex = f.exchange(get("/"));
  ex->record().status = 499;
  ex->record().aborted = true;
  EXPECT_EQ(masked(AccessLog::format(*ex, config::AccessLogFormat::Combined, kNow)),
            "192.0.2.7 - - [25/Nov/2026:04:50:00 +0000] \"GET / HTTP/2.0\" 499 0 \"-\" \"-\" "
            "rt=X server=- cache=\"-\" id=5f3c9a1e00000001 aborted "
            "time=2026-11-25T04:50:00.042Z\n");
}

TEST(AccessLog, CombinedLineEscapesQuotesBackslashesAndControlBytes) {
  Fixture f;
  http::RequestHead head = get("/q\"\\\x01\x7f\xc3");
  head.version_minor = 0;
  head.headers.add("User-Agent", "a\"b");
  auto ex = f.exchange(std::move(head));
  ex->record().status = 404;
  EXPECT_EQ(masked(AccessLog::format(*ex, config::AccessLogFormat::Combined, kNow)),
            "192.0.2.7 - - [25/Nov/2026:04:50:00 +0000] \"GET /q\\\"\\\\\\x01\\x7F\\xC3 "
            "HTTP/1.0\" 404 0 \"-\" \"a\\\"b\" rt=X server=- cache=\"-\" id=5f3c9a1e00000001 "
            "time=2026-11-25T04:50:00.042Z\n");
}

// Issue 16: a Cache-Status has spaces and ';'; unquoted, combined-log parsers split it.
TEST(AccessLog, CombinedLineQuotesTheCacheStatus) {
  Fixture f;
  auto ex = f.exchange(get("/c"));
  ex->record().status = 200;
  ex->record().cache_status.assign("gatehouse; hit; ttl=30");
  EXPECT_NE(AccessLog::format(*ex, config::AccessLogFormat::Combined, kNow)
                .find(" cache=\"gatehouse; hit; ttl=30\" "),
            std::string::npos);
}

TEST(AccessLog, JsonLineHasTheSameFacts) {
  Fixture f;
  auto ex = f.exchange(get("/j"));
  ex->record().status = 204;
  auto line = AccessLog::format(*ex, config::AccessLogFormat::Json, kNow);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["time"], "2026-11-25T04:50:00.042Z");
  EXPECT_EQ(json["path"], "/j");
  EXPECT_EQ(json["protocol"], "HTTP/1.1");
  EXPECT_EQ(json["status"], 204);
  EXPECT_EQ(json["request_id"], "5f3c9a1e00000001");
  EXPECT_DOUBLE_EQ(json["duration_ms"].get<double>(), 1.5);  // the ExchangeEnd's, not a clock
}

TEST(AccessLog, TheDurationIsTheExchangeEndsOwn) {
  Fixture f;
  auto ex = f.exchange(get("/"));
  ex->record().status = 200;
  EXPECT_NE(AccessLog::format(*ex, config::AccessLogFormat::Combined, kNow).find(" rt=0.002 "),
            std::string::npos);
}

TEST(AccessLog, TheDurationIsRoundedToTheNearestMillisecond) {
  Fixture f;
  auto ex = f.exchange(get("/"));
  ex->record().status = 200;
  const auto wall = std::chrono::system_clock::time_point{} + std::chrono::seconds(1764046200);
  const struct {
    int64_t us;
    std::string_view rt;
  } rows[] = {{0, " rt=0.000 "},
              {499, " rt=0.000 "},
              {500, " rt=0.001 "},
              {1499, " rt=0.001 "},
              {999'500, " rt=1.000 "},
              {61'234'567, " rt=61.235 "},
              {3'600'000'000, " rt=3600.000 "}};
  for (const auto& row : rows) {
    const auto end = ExchangeEnd::at(wall, std::chrono::microseconds(row.us));
    EXPECT_NE(AccessLog::format(*ex, config::AccessLogFormat::Combined, end).find(row.rt),
              std::string::npos)
        << row.us;
  }
}

TEST(AccessLog, QuotedFieldsEscapeOnlyWhatMustBe) {
  Fixture f;
  auto ex =
      f.exchange(get("/a\"b\\c\x01"
                     "d\x7f"
                     "\xc3\xa9"
                     "e"));
  ex->record().status = 200;
  EXPECT_NE(AccessLog::format(*ex, config::AccessLogFormat::Combined, kNow)
                .find(" \"GET /a\\\"b\\\\c\\x01d\\x7F\\xC3\\xA9e HTTP/1.1\" "),
            std::string::npos)
      << AccessLog::format(*ex, config::AccessLogFormat::Combined, kNow);
}

}  // namespace
}  // namespace gatehouse::server
