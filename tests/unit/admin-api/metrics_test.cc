// /metrics: the text is read back by a small exposition-format parser, and every rule a
// Prometheus server relies on is checked: declared families, cumulative buckets ending in +Inf,
// sums over workers, the backend series, label escaping.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "admin-api/endpoint.h"
#include "admin-api/prometheus_text.h"
#include "fake_process_control.h"
#include "proxy/http/http2_counters.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/upstream/backend_connection.h"

namespace gatehouse::admin {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

struct Exposition {
  std::map<std::string, std::string> types, helps;
  std::vector<Sample> samples;
  std::vector<std::string> errors;

  // The value of the one sample `name` with exactly `labels`, or "" (and a test failure).
  std::string value(const std::string& name,
                    const std::map<std::string, std::string>& labels = {}) {
    for (const Sample& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    ADD_FAILURE() << "no sample " << name;
    return "";
  }
};

// Labels: {a="x",b="y\"z"} with \\, \" and \n escapes.
bool parseLabels(std::string_view& rest, std::map<std::string, std::string>& out) {
  rest.remove_prefix(1);  // '{'
  while (!rest.empty() && rest.front() != '}') {
    size_t eq = rest.find("=\"");
    if (eq == std::string_view::npos) return false;
    std::string name(rest.substr(0, eq)), value;
    rest.remove_prefix(eq + 2);
    while (!rest.empty() && rest.front() != '"') {
      if (rest.front() == '\\' && rest.size() > 1) {
        value += rest[1] == 'n' ? '\n' : rest[1];
        rest.remove_prefix(2);
      } else {
        value += rest.front();
        rest.remove_prefix(1);
      }
    }
    if (rest.empty()) return false;
    rest.remove_prefix(1);  // closing quote
    if (!out.emplace(name, value).second) return false;
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
  if (rest.empty()) return false;
  rest.remove_prefix(1);  // '}'
  return true;
}

// The family a sample line belongs to: histogram samples carry a suffix.
std::string familyOf(const Exposition& e, const std::string& name) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.ends_with(suffix)) {
      std::string base = name.substr(0, name.size() - suffix.size());
      auto it = e.types.find(base);
      if (it != e.types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

Exposition parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line, current;  // the family whose TYPE came last
  if (!text.ends_with("\n")) e.errors.push_back("no final newline");
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      std::string_view rest = std::string_view(line).substr(7);
      std::string name(rest.substr(0, rest.find(' ')));
      std::string what(rest.substr(name.size() + 1));
      auto& table = line[2] == 'H' ? e.helps : e.types;
      if (!table.emplace(name, what).second) e.errors.push_back("declared twice: " + line);
      if (line[2] == 'T') current = name;
      continue;
    }
    Sample s;
    std::string_view rest = line;
    size_t end = rest.find_first_of("{ ");
    s.name = std::string(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    if (!rest.empty() && rest.front() == '{' && !parseLabels(rest, s.labels)) {
      e.errors.push_back("bad labels: " + line);
      continue;
    }
    if (rest.size() < 2 || rest.front() != ' ') {
      e.errors.push_back("no value: " + line);
      continue;
    }
    s.value = std::string(rest.substr(1));
    if (familyOf(e, s.name) != current) e.errors.push_back("sample outside its family: " + line);
    e.samples.push_back(std::move(s));
  }
  return e;
}

class MetricsTest : public ::testing::Test {
 protected:
  std::string render() { return renderMetrics(control, counters); }
  testing::FakeProcessControl control{2};
  AdminCounters counters;
};

TEST_F(MetricsTest, DeclaresEveryFamilyOnceWithHelpAndTypeAndNoStraySamples) {
  Exposition e = parse(render());
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.types.size(), kMetricCount);
  for (const MetricInfo& m : kMetricTable) {
    EXPECT_EQ(e.helps.count(std::string(m.name)), 1u) << m.name;
    EXPECT_EQ(e.types.count(std::string(m.name)), 1u) << m.name;
  }
  for (const Sample& s : e.samples) {
    EXPECT_EQ(e.types.count(familyOf(e, s.name)), 1u) << s.name;
    EXPECT_NE(s.value, "");
  }
}

TEST_F(MetricsTest, SumsTheWorkersCounters) {
  auto& a = *control.counters[0];
  auto& b = *control.counters[1];
  a.responses_by_class[0] = 1;  // aborted
  a.responses_by_class[2] = 10;
  b.responses_by_class[2] = 5;
  b.responses_by_class[5] = 2;
  a.bytes_sent = 1000;
  b.bytes_sent = 24;
  a.bytes_received = 7;
  a.connections_accepted = 3;
  b.connections_accepted = 4;
  a.connections_open = 2;
  b.connections_open = 1;
  Exposition e = parse(render());
  EXPECT_EQ(e.value("gatehouse_http_responses_total", {{"class", "aborted"}}), "1");
  EXPECT_EQ(e.value("gatehouse_http_responses_total", {{"class", "2xx"}}), "15");
  EXPECT_EQ(e.value("gatehouse_http_responses_total", {{"class", "5xx"}}), "2");
  EXPECT_EQ(e.value("gatehouse_http_responses_total", {{"class", "1xx"}}), "0");
  EXPECT_EQ(e.value("gatehouse_http_response_bytes_total"), "1024");
  EXPECT_EQ(e.value("gatehouse_http_request_bytes_total"), "7");
  EXPECT_EQ(e.value("gatehouse_connections_accepted_total"), "7");
  EXPECT_EQ(e.value("gatehouse_connections_open"), "3");
  EXPECT_EQ(e.types["gatehouse_connections_open"], "gauge");
}

TEST_F(MetricsTest, CountsRequestsByListenerAndStatusClass) {
  control.counters[0]->responses_by_listener[0][2] = 4;  // :80, 2xx
  control.counters[1]->responses_by_listener[0][2] = 1;
  control.counters[1]->responses_by_listener[1][5] = 3;  // :443, 5xx
  control.counters[0]->responses_by_listener[1][0] = 1;  // :443, aborted
  Exposition e = parse(render());
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  const std::string m = "gatehouse_http_requests_total";
  EXPECT_EQ(e.types[m], "counter");
  EXPECT_EQ(e.value(m, {{"listener", "0.0.0.0:80"}, {"class", "2xx"}}), "5");
  EXPECT_EQ(e.value(m, {{"listener", "0.0.0.0:80"}, {"class", "5xx"}}), "0");
  EXPECT_EQ(e.value(m, {{"listener", "0.0.0.0:443"}, {"class", "5xx"}}), "3");
  EXPECT_EQ(e.value(m, {{"listener", "0.0.0.0:443"}, {"class", "aborted"}}), "1");
  size_t samples = 0;
  for (const Sample& s : e.samples)
    samples += s.name == m;
  EXPECT_EQ(samples, 12u);  // 2 listeners x 6 classes
}

TEST_F(MetricsTest, ShowsReadOnlyModeAndItsCounters) {
  gate::ReadOnlyState state;
  state.set(true, "db", std::chrono::system_clock::from_time_t(1764000000));
  state.blocked_total = 7;
  state.anonymized_total = 3;
  Exposition e = parse(renderMetrics(control, counters, state));
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.value("gatehouse_read_only"), "1");
  EXPECT_EQ(e.value("gatehouse_read_only_since_seconds"), "1764000000");
  EXPECT_EQ(e.value("gatehouse_read_only_blocked_total"), "7");
  EXPECT_EQ(e.value("gatehouse_read_only_anonymized_total"), "3");
  EXPECT_EQ(e.value("gatehouse_read_only_allowed_total"), "0");
  EXPECT_EQ(e.value("gatehouse_read_only_set_cookie_dropped_total"), "0");
  gate::ReadOnlyState off;
  Exposition e2 = parse(renderMetrics(control, counters, off));
  EXPECT_EQ(e2.value("gatehouse_read_only"), "0");
  EXPECT_EQ(e2.value("gatehouse_read_only_since_seconds"), "0");
}

TEST_F(MetricsTest, AccumulatesPerBucketCountsIntoCumulativeBucketsEndingInInf) {
  // Per-bucket counts, as the workers keep them: 2 requests <= 1 ms, 3 in (5, 10] ms, 1 over 30 s.
  control.counters[0]->duration_buckets[0] = 2;
  control.counters[1]->duration_buckets[2] = 3;
  control.counters[1]->duration_buckets[10] = 1;
  control.counters[0]->duration_sum_us = 1500000;
  control.counters[1]->duration_sum_us = 31000000;
  Exposition e = parse(render());
  const std::string h = "gatehouse_http_request_duration_seconds";
  EXPECT_EQ(e.types[h], "histogram");
  std::vector<std::pair<std::string, std::string>> buckets;
  for (const Sample& s : e.samples)
    if (s.name == h + "_bucket") buckets.emplace_back(s.labels.at("le"), s.value);
  ASSERT_EQ(buckets.size(), 11u);
  EXPECT_EQ(buckets.front(), (std::pair<std::string, std::string>{"0.001", "2"}));
  EXPECT_EQ(buckets[1], (std::pair<std::string, std::string>{"0.005", "2"}));
  EXPECT_EQ(buckets[2], (std::pair<std::string, std::string>{"0.01", "5"}));
  EXPECT_EQ(buckets[9], (std::pair<std::string, std::string>{"30", "5"}));
  EXPECT_EQ(buckets.back(), (std::pair<std::string, std::string>{"+Inf", "6"}));
  for (size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_LE(std::stoull(buckets[i - 1].second), std::stoull(buckets[i].second));
    if (i < buckets.size() - 1) {
      EXPECT_LT(std::stod(buckets[i - 1].first), std::stod(buckets[i].first));
    }
  }
  EXPECT_EQ(e.value(h + "_count"), buckets.back().second);
  EXPECT_EQ(e.value(h + "_sum"), "32.5");
}

TEST_F(MetricsTest, ShowsEveryBackendServerWithItsStateOneHot) {
  control.server(0).setAdminState(health::AdminState::Draining);
  control.server(1).setHealth(health::Health::Down);
  control.server(0).requests_total = 12;
  control.server(1).connect_failures_total = 3;
  control.server(0).beginRequest();
  Exposition e = parse(render());
  using L = std::map<std::string, std::string>;
  L app1{{"pool", "app"}, {"server", "app1"}}, app2{{"pool", "app"}, {"server", "app2"}};
  EXPECT_EQ(e.value("gatehouse_backend_requests_total", app1), "12");
  EXPECT_EQ(e.value("gatehouse_backend_connect_failures_total", app2), "3");
  EXPECT_EQ(e.value("gatehouse_backend_in_flight", app1), "1");
  EXPECT_EQ(e.value("gatehouse_backend_connections_opened_total", app1), "0");
  EXPECT_EQ(e.value("gatehouse_backend_up", app1), "1");
  EXPECT_EQ(e.value("gatehouse_backend_up", app2), "0");
  auto state = [&](const L& server, const char* s) {
    L labels = server;
    labels["state"] = s;
    return e.value("gatehouse_backend_state", labels);
  };
  EXPECT_EQ(state(app1, "ready") + state(app1, "drain") + state(app1, "maint"), "010");
  EXPECT_EQ(state(app2, "ready") + state(app2, "drain") + state(app2, "maint"), "100");
  control.server(0).endRequest();
}

TEST_F(MetricsTest, ShowsBuildInfoUptimeAndTheAdminCounters) {
  counters.requests = 9;
  counters.unauthorized = 4;
  Exposition e = parse(render());
  EXPECT_EQ(e.value("gatehouse_build_info", {{"version", "9.9.9"}}), "1");
  EXPECT_GE(std::stod(e.value("gatehouse_uptime_seconds")), 3725.0);
  EXPECT_EQ(e.value("gatehouse_admin_requests_total"), "9");
  EXPECT_EQ(e.value("gatehouse_admin_unauthorized_total"), "4");
  EXPECT_EQ(e.types["gatehouse_tls_handshakes_total"], "counter");
  e.value("gatehouse_tls_handshake_failures_total");
  e.value("gatehouse_tls_resumed_total");
}

// Issue 14: every timeout and budget that fires is counted where it is decided and shown here.
TEST_F(MetricsTest, ShowsTheHttp2BudgetsAndTheClientAndBackendTimeouts) {
  http::Http2Counters& h2 = http::Http2Counters::process();
  const auto before = [](std::atomic<uint64_t>& c) { return c.load(); };
  const uint64_t pings = before(h2.limits_exceeded[size_t(http::Http2Limit::Pings)]);
  const uint64_t calm = before(h2.goaways_sent[NGHTTP2_ENHANCE_YOUR_CALM]);
  const uint64_t header = before(h2.header_timeouts), send = before(h2.send_timeouts);
  const uint64_t client = before(net::TcpConnection::send_timeouts_total);
  const uint64_t paused = before(upstream::BackendConnection::paused_timeouts_total);
  h2.countLimit(http::Http2Limit::Pings);
  h2.countGoaway(NGHTTP2_ENHANCE_YOUR_CALM);
  h2.countGoaway(99);  // not an RFC 9113 code: not shown, not counted
  ++h2.header_timeouts;
  ++h2.send_timeouts;
  ++net::TcpConnection::send_timeouts_total;
  ++upstream::BackendConnection::paused_timeouts_total;
  Exposition e = parse(render());
  const auto shown = [&](const std::string& name,
                         const std::map<std::string, std::string>& labels = {}) {
    return std::stoull(e.value(name, labels));
  };
  EXPECT_EQ(shown("gatehouse_http2_limits_exceeded_total", {{"limit", "pings"}}), pings + 1);
  EXPECT_EQ(shown("gatehouse_http2_limits_exceeded_total", {{"limit", "window_updates"}}),
            h2.limits_exceeded[size_t(http::Http2Limit::WindowUpdates)].load());
  EXPECT_EQ(shown("gatehouse_http2_goaways_sent_total", {{"code", "ENHANCE_YOUR_CALM"}}), calm + 1);
  EXPECT_EQ(shown("gatehouse_http2_header_timeouts_total"), header + 1);
  EXPECT_EQ(shown("gatehouse_http2_stream_send_timeouts_total"), send + 1);
  EXPECT_EQ(shown("gatehouse_client_send_timeouts_total"), client + 1);
  EXPECT_EQ(shown("gatehouse_backend_paused_timeouts_total"), paused + 1);
}

TEST(PrometheusText, EscapesLabelValues) {
  PrometheusText out;
  out.add(Metric::BuildInfo, {{"version", "a\"b\\c\nd"}}, uint64_t{1});
  std::string text = out.render();
  EXPECT_NE(text.find("gatehouse_build_info{version=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos)
      << text;
  Exposition e = parse(text);
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors);
  EXPECT_EQ(e.value("gatehouse_build_info", {{"version", "a\"b\\c\nd"}}), "1");
}

TEST(PrometheusText, WritesNonFiniteValuesInTheFormatsSpelling) {
  PrometheusText out;
  out.add(Metric::Uptime, {}, std::numeric_limits<double>::infinity());
  EXPECT_NE(out.render().find("gatehouse_uptime_seconds +Inf\n"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::admin
