#include "proxy/server/access_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

namespace gatehouse::server {
namespace {
constexpr size_t kFlushBytes = 32 * 1024;
constexpr Duration kFlushInterval{200};

void appendOrDash(std::string& out, std::string_view s) {
  if (s.empty())
    out += '-';
  else
    out += s;
}

// Bytes appendQuoted must escape: '"', '\\', control bytes and those from DEL up.
constexpr std::array<bool, 256> makeEscapedTable() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
  return t;
}
constexpr std::array<bool, 256> kEscaped = makeEscapedTable();

// Quotes for the combined format: '"' and '\' escaped, control bytes as \xHH (as nginx does);
// an empty field is "-". Runs of plain bytes (nearly always the whole field) go in one append.
void appendQuoted(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += '-';
    return;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!kEscaped[c]) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      const char escaped[] = {'\\', static_cast<char>(c)};
      out.append(escaped, sizeof escaped);
    } else {
      const char escaped[] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
      out.append(escaped, sizeof escaped);
    }
  }
  out.append(s.data() + run, s.size() - run);
}

void appendNumber(std::string& out, uint64_t n) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

// Microseconds as seconds with three decimals, rounded to the nearest millisecond, half up
// ("0.002"), in integers: "{:.3f}" of a double cost a log line 600 instructions (and rounded an
// exact half either way, as the double's binary value fell).
void appendSecondsMs(std::string& out, uint64_t us) {
  const uint64_t ms = (us + 500) / 1000;
  appendNumber(out, ms / 1000);
  const auto frac = static_cast<unsigned>(ms % 1000);
  const char decimals[] = {'.', static_cast<char>('0' + frac / 100),
                           static_cast<char>('0' + frac / 10 % 10),
                           static_cast<char>('0' + frac % 10)};
  out.append(decimals, sizeof decimals);
}

void writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not stop the proxy; lines are dropped
    data.remove_prefix(static_cast<size_t>(n));
  }
}
}  // namespace

AccessLog::AccessLog(event_base* base, int fd, config::AccessLogFormat format)
    : fd_(fd), format_(format), flush_timer_(base, [this] { flush(); }) {}

AccessLog::~AccessLog() {
  flush();
}

void AccessLog::configure(config::AccessLogFormat format, bool enabled) {
  flush();
  format_ = format;
  enabled_ = enabled;
}

void AccessLog::record(const http::Exchange& exchange, const ExchangeEnd& end) {
  if (fd_ < 0 || !enabled_) return;
  if (format_ == config::AccessLogFormat::Combined) {
    stamps_.at(static_cast<std::time_t>(end.unixMs() / 1000));
    appendCombined(buffer_, exchange, stamps_, end);
  } else
    buffer_ += format(exchange, format_, end);
  if (buffer_.size() >= kFlushBytes)
    flush();
  else if (!flush_timer_.armed())
    flush_timer_.arm(kFlushInterval);
}

void AccessLog::flush() {
  if (buffer_.empty() || fd_ < 0) return;
  writeAll(fd_, buffer_);
  buffer_.clear();
}

void AccessLog::Stamps::at(std::time_t second) {
  if (second == second_) return;
  std::tm tm{};
  gmtime_r(&second, &tm);
  combined_length_ = std::strftime(combined_, sizeof combined_, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  iso_length_ = std::strftime(iso_, sizeof iso_, "%Y-%m-%dT%H:%M:%S", &tm);
  second_ = second;
}

// The combined line, appended straight to the worker's buffer: every request writes one, so
// it is built without a temporary string per field or a runtime-parsed format string.
void AccessLog::appendCombined(std::string& out, const http::Exchange& exchange,
                               const Stamps& stamps, const ExchangeEnd& end) {
  using namespace std::string_view_literals;  // literals of known length: no strlen per piece
  const http::RequestHead& req = exchange.request();
  const http::ExchangeRecord& rec = exchange.record();
  const auto millis = static_cast<unsigned>(end.unixMs() % 1000);
  out += exchange.client().ip;
  out += " - - ["sv;
  out += stamps.combined();
  out += "] \""sv;
  appendQuoted(out, req.method);
  out += ' ';
  appendQuoted(out, req.target);
  if (exchange.client().protocol == "HTTP/2") {
    out += " HTTP/2.0\" "sv;
  } else {
    const char version[] = {
        ' ', 'H', 'T', 'T', 'P', '/', '1', '.', static_cast<char>('0' + req.version_minor % 10),
        '"', ' '};
    out.append(version, sizeof version);
  }
  appendNumber(out, static_cast<uint64_t>(rec.status));
  out += ' ';
  appendNumber(out, rec.bytes_sent);
  out += " \""sv;
  appendQuoted(out, req.headers.get("referer"));
  out += "\" \""sv;
  appendQuoted(out, req.headers.get("user-agent"));
  out += "\" rt="sv;
  appendSecondsMs(out, end.elapsedUs());
  out += " server="sv;
  appendOrDash(out, rec.server);
  // Quoted: a Cache-Status has spaces and ';', which would split the field for log parsers.
  out += " cache=\""sv;
  appendQuoted(out, rec.cache_status.view());
  out += "\" id="sv;
  out += exchange.requestId();
  if (rec.aborted) out += " aborted"sv;
  out += " time="sv;
  out += stamps.iso();
  const char fraction[] = {'.',
                           static_cast<char>('0' + millis / 100),
                           static_cast<char>('0' + millis / 10 % 10),
                           static_cast<char>('0' + millis % 10),
                           'Z',
                           '\n'};
  out.append(fraction, sizeof fraction);
}

std::string AccessLog::format(const http::Exchange& exchange, config::AccessLogFormat format,
                              const ExchangeEnd& end) {
  const int64_t ms = end.unixMs();
  const auto t = static_cast<std::time_t>(ms / 1000);
  if (format == config::AccessLogFormat::Combined) {
    Stamps stamps;
    stamps.at(t);
    std::string line;
    appendCombined(line, exchange, stamps, end);
    return line;
  }
  const http::RequestHead& req = exchange.request();
  const http::ExchangeRecord& rec = exchange.record();
  const double seconds = end.elapsedSeconds();
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string protocol = exchange.client().protocol == "HTTP/2"
                             ? std::string("HTTP/2.0")
                             : fmt::format("HTTP/1.{}", req.version_minor);
  char second[32];
  std::strftime(second, sizeof second, "%Y-%m-%dT%H:%M:%S", &tm);
  const std::string stamp = fmt::format("{}.{:03}Z", second, ms % 1000);
  nlohmann::json line = {
      {"time", stamp},
      {"client", exchange.client().ip},
      {"method", req.method},
      {"host", req.authority},
      {"path", req.target},
      {"protocol", protocol},
      {"status", rec.status},
      {"bytes", rec.bytes_sent},
      {"bytes_in", rec.bytes_received},
      {"duration_ms", std::round(seconds * 1e6) / 1e3},
      {"server", rec.server},
      {"cache", rec.cache_status.view()},
      {"request_id", exchange.requestId()},
      {"referer", std::string(req.headers.get("referer"))},
      {"user_agent", std::string(req.headers.get("user-agent"))},
      {"aborted", rec.aborted},
  };
  // Bytes that are not UTF-8 (a raw path, say) are replaced, never a reason to lose a line.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace gatehouse::server
