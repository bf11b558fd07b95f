// `backends.POOL.health:` active checks (path, interval, timeout, rise, fall, expect, host) and
// the passive checks on live traffic (`passive:`).
#include <fmt/format.h>

#include <charconv>

#include "config/sections.h"

namespace gatehouse::config {
namespace {

// More than this many consecutive results before a decision only delays noticing a dead server.
constexpr uint32_t kMaxRiseFall = 100;
constexpr uint32_t kMaxPassiveFall = 10000;
constexpr size_t kMaxPathBytes = 1024;

std::optional<uint16_t> parseStatus(std::string_view text) {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 100 || n > 599)
    return std::nullopt;
  return static_cast<uint16_t>(n);
}

// "200", "200-399": a status or an inclusive range of them.
std::optional<StatusRange> readStatusRange(const Value& v, Diagnostics& diag) {
  if (v.node.IsScalar()) {
    const std::string& s = v.node.Scalar();
    const size_t dash = s.find('-');
    auto low = parseStatus(std::string_view(s).substr(0, dash));
    auto high = dash == std::string::npos ? low : parseStatus(std::string_view(s).substr(dash + 1));
    if (low && high && *low <= *high) return StatusRange{*low, *high};
  }
  diag.error(
      v.mark, v.path,
      fmt::format("expected a status like 200 or a range like 200-399, got {}", describe(v.node)));
  return std::nullopt;
}

void readExpect(const Value& v, std::vector<StatusRange>& expect, Diagnostics& diag) {
  std::vector<StatusRange> ranges;
  if (v.node.IsSequence()) {
    readList(
        v,
        [&](const Value& item) {
          if (auto r = readStatusRange(item, diag)) ranges.push_back(*r);
        },
        diag);
    if (ranges.empty() && v.node.size() == 0)
      diag.error(v.mark, v.path, "at least one status or range is required");
  } else if (auto r = readStatusRange(v, diag)) {
    ranges.push_back(*r);
  }
  if (!ranges.empty()) expect = std::move(ranges);
}

void readPassive(const Value& v, PassiveCheckConfig& passive, Diagnostics& diag) {
  readMap(v,
          {
              {"fall",
               [&](const Value& f) {
                 if (auto n = readUint(f, 0, kMaxPassiveFall, diag)) passive.fall = *n;
               }},
              {"on",
               [&](const Value& list) {
                 passive.on_connect = passive.on_timeout = passive.on_5xx = false;
                 readList(
                     list,
                     [&](const Value& item) {
                       auto what = readChoice<int>(
                           item, {{"connect", 0}, {"timeout", 1}, {"5xx", 2}}, diag);
                       if (!what) return;
                       (*what == 0   ? passive.on_connect
                        : *what == 1 ? passive.on_timeout
                                     : passive.on_5xx) = true;
                     },
                     diag);
               }},
          },
          {}, diag);
}

}  // namespace

void readHealthCheck(const Value& v, HealthCheckConfig& health, Diagnostics& diag) {
  bool timeout_set = false;
  Value timeout_value;
  readMap(v,
          {
              {"path",
               [&](const Value& p) {
                 auto path = readString(p, diag);
                 if (!path) return;
                 if (path->front() != '/' || path->size() > kMaxPathBytes ||
                     path->find_first_of(" \t\r\n") != std::string::npos) {
                   diag.error(p.mark, p.path,
                              "expected a path starting with '/' and without spaces");
                   return;
                 }
                 health.path = std::move(*path);
               },
               /*required=*/true},
              {"interval",
               [&](const Value& d) {
                 auto interval = readDuration(d, diag);
                 if (!interval) return;
                 if (interval->count() == 0) {
                   diag.error(d.mark, d.path, "must be more than 0");
                   return;
                 }
                 health.interval = *interval;
               }},
              {"timeout",
               [&](const Value& d) {
                 auto timeout = readDuration(d, diag);
                 if (!timeout) return;
                 if (timeout->count() == 0) {
                   diag.error(d.mark, d.path, "must be more than 0");
                   return;
                 }
                 health.timeout = *timeout;
                 timeout_set = true;
                 timeout_value = d;
               }},
              {"rise",
               [&](const Value& n) {
                 if (auto r = readUint(n, 1, kMaxRiseFall, diag)) health.rise = *r;
               }},
              {"fall",
               [&](const Value& n) {
                 if (auto f = readUint(n, 1, kMaxRiseFall, diag)) health.fall = *f;
               }},
              {"expect", [&](const Value& e) { readExpect(e, health.expect, diag); }},
              {"host",
               [&](const Value& h) {
                 auto host = readString(h, diag);
                 if (!host) return;
                 if (host->find_first_of(" \t\r\n/") != std::string::npos) {
                   diag.error(h.mark, h.path, "expected a host name");
                   return;
                 }
                 health.host = std::move(*host);
               }},
              {"passive", [&](const Value& p) { readPassive(p, health.passive, diag); }},
          },
          {}, diag);
  // One probe at a time per server: a timeout longer than the interval would only be cut short.
  if (timeout_set && health.timeout > health.interval)
    diag.error(timeout_value.mark, timeout_value.path,
               fmt::format("must not be longer than interval ({} ms)", health.interval.count()));
}

}  // namespace gatehouse::config
