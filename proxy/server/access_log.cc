#include "proxy/server/access_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

namespace gatehouse::server {
namespace {
constexpr size_t kFlushBytes = 32 * 1024;
constexpr Duration kFlushInterval{200};

std::string orDash(std::string_view s) {
  return s.empty() ? "-" : std::string(s);
}

// Quotes for the combined format: '"' and '\' escaped, control bytes as \xHH (as nginx does).
std::string escapeQuoted(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.empty() ? "-" : out;
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

void AccessLog::record(const http::Exchange& exchange) {
  if (fd_ < 0) return;
  buffer_ += format(exchange, format_, std::chrono::system_clock::now());
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

std::string AccessLog::format(const http::Exchange& exchange, config::AccessLogFormat format,
                              std::chrono::system_clock::time_point now) {
  const http::RequestHead& req = exchange.request();
  const http::ExchangeRecord& rec = exchange.record();
  auto elapsed = std::chrono::steady_clock::now() - exchange.started();
  double seconds = std::chrono::duration<double>(elapsed).count();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string protocol = exchange.client().protocol == "HTTP/2"
                             ? std::string("HTTP/2.0")
                             : fmt::format("HTTP/1.{}", req.version_minor);
  if (format == config::AccessLogFormat::Json) {
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
  char stamp[40];
  std::strftime(stamp, sizeof stamp, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return fmt::format(
      "{} - - [{}] \"{} {} {}\" {} {} \"{}\" \"{}\" rt={:.3f} server={} cache={} id={}{}\n",
      exchange.client().ip, stamp, escapeQuoted(req.method), escapeQuoted(req.target), protocol,
      rec.status, rec.bytes_sent, escapeQuoted(req.headers.get("referer")),
      escapeQuoted(req.headers.get("user-agent")), seconds, orDash(rec.server),
      orDash(rec.cache_status.view()), exchange.requestId(), rec.aborted ? " aborted" : "");
}

Result<int> openAccessLog(const std::string& target) {
  if (target == "off") return -1;
  if (target == "stdout") return STDOUT_FILENO;
  if (target == "stderr") return STDERR_FILENO;
  int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return Error{fmt::format("log.access: cannot open {}: {}", target, std::strerror(errno))};
  return fd;
}

}  // namespace gatehouse::server
