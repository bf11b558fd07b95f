// The small keys: workers, timeouts, limits, log.
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "config/sections.h"
#include "config/units.h"

namespace gatehouse::config {
namespace {

constexpr unsigned kMaxWorkers = 256;
constexpr uint32_t kMaxConnections = 100'000'000;

// "auto" (nullopt in `out`) or a whole number from 1 to `max`. False, reported, for anything
// else.
bool readAutoOrCount(const Value& v, uint32_t max, std::optional<uint32_t>& out,
                     Diagnostics& diag) {
  if (v.node.IsScalar()) {
    const std::string& s = v.node.Scalar();
    if (s == "auto") {
      out.reset();
      return true;
    }
    uint32_t n = 0;
    auto [rest, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && rest == s.data() + s.size() && n >= 1 && n <= max) {
      out = n;
      return true;
    }
  }
  diag.error(v.mark, v.path,
             fmt::format("expected \"auto\" or a whole number from 1 to {}, got {}", max,
                         describe(v.node)));
  return false;
}

// A timeout of 0 would fire at once; "no timeout" is not something we offer.
Field timeoutField(std::string_view key, Duration& out, Diagnostics& diag) {
  return {key, [&out, &diag](const Value& v) {
            auto d = readDuration(v, diag);
            if (!d) return;
            if (d->count() == 0) {
              diag.error(v.mark, v.path, "must be more than 0");
              return;
            }
            out = *d;
          }};
}

// A limit with a floor below which ordinary browsers would be refused.
Field sizeLimitField(std::string_view key, ByteSize minimum, ByteSize& out, Diagnostics& diag) {
  return {key, [minimum, &out, &diag](const Value& v) {
            auto size = readByteSize(v, diag);
            if (!size) return;
            if (*size < minimum) {
              diag.error(v.mark, v.path,
                         fmt::format("must be at least {}, got {}", formatByteSize(minimum),
                                     formatByteSize(*size)));
              return;
            }
            out = *size;
          }};
}

}  // namespace

unsigned autoWorkers() {
  // hardware_concurrency() may return 0 when it cannot tell; one worker still serves.
  return std::clamp(std::thread::hardware_concurrency(), 1u, kMaxWorkers);
}

void readWorkers(const Value& v, unsigned& workers, Diagnostics& diag) {
  std::optional<uint32_t> n;
  if (readAutoOrCount(v, kMaxWorkers, n, diag)) workers = n ? *n : autoWorkers();
}

void readTimeouts(const Value& v, Timeouts& t, Diagnostics& diag) {
  readMap(v,
          {
              timeoutField("client_header", t.client_header, diag),
              timeoutField("client_idle", t.client_idle, diag),
              timeoutField("client_body", t.client_body, diag),
              timeoutField("client_send", t.client_send, diag),
              {"client_park",  // 0 allowed: never park
               [&](const Value& d) {
                 if (auto park = readDuration(d, diag)) t.client_park = *park;
               }},
              timeoutField("backend_connect", t.backend_connect, diag),
              timeoutField("backend_response", t.backend_response, diag),
              timeoutField("backend_idle", t.backend_idle, diag),
              timeoutField("tunnel_idle", t.tunnel_idle, diag),
          },
          {}, diag);
}

void readLimits(const Value& v, Limits& l, Diagnostics& diag) {
  readMap(v,
          {
              sizeLimitField("request_line", ByteSize(256), l.request_line, diag),
              sizeLimitField("headers", ByteSize::kib(1), l.headers, diag),
              {"header_count",
               [&](const Value& c) {
                 if (auto n = readUint(c, 8, 10000, diag)) l.header_count = *n;
               }},
              sizeLimitField("body", ByteSize(0), l.body, diag),
              sizeLimitField("min_body_rate", ByteSize(0), l.min_body_rate, diag),  // per second
              {"max_connections",
               [&](const Value& c) {
                 std::optional<uint32_t> n;
                 if (readAutoOrCount(c, kMaxConnections, n, diag)) l.max_connections = n;
               }},
              {"max_connections_per_ip",
               [&](const Value& c) {
                 if (auto n = readUint(c, 0, kMaxConnections, diag)) l.max_connections_per_ip = *n;
               }},
              sizeLimitField("memory", ByteSize::mib(1), l.memory, diag),
          },
          {}, diag);
}

void readLog(const Value& v, LogConfig& out, Diagnostics& diag) {
  readMap(
      v,
      {
          // "stdout", "stderr", "off", or else a file path, relative to the working directory.
          {"access",
           [&](const Value& a) {
             if (auto s = readString(a, diag)) out.access = *s;
           }},
          {"format",
           [&](const Value& f) {
             if (auto format = readChoice<AccessLogFormat>(
                     f, {{"combined", AccessLogFormat::Combined}, {"json", AccessLogFormat::Json}},
                     diag))
               out.format = *format;
           }},
          {"level",
           [&](const Value& l) {
             if (auto level = readChoice<log::Level>(l,
                                                     {{"debug", log::Level::Debug},
                                                      {"info", log::Level::Info},
                                                      {"warn", log::Level::Warn},
                                                      {"error", log::Level::Error}},
                                                     diag))
               out.level = *level;
           }},
          // "stderr" or a file path; SIGUSR1 reopens it (after logrotate moved it).
          {"error",
           [&](const Value& e) {
             if (auto s = readString(e, diag)) out.error = *s;
           }},
      },
      {}, diag);
}

void readStateFile(const Value& v, std::string& path, Diagnostics& diag) {
  auto text = readString(v, diag);
  if (!text) return;
  // Checked here so that `gatehouse check` finds a typo before the first `ctl read-only on`
  // fails to persist; the file itself is created by the first write.
  const size_t slash = text->rfind('/');
  const std::string dir =
      slash == std::string::npos ? std::string(".") : text->substr(0, slash == 0 ? 1 : slash);
  struct stat st {};
  if (text->back() == '/') {
    diag.error(v.mark, v.path, "must name a file, not a directory");
    return;
  }
  if (::stat(dir.c_str(), &st) != 0) {
    diag.error(v.mark, v.path, fmt::format("directory \"{}\": {}", dir, std::strerror(errno)));
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    diag.error(v.mark, v.path, fmt::format("\"{}\" is not a directory", dir));
    return;
  }
  if (::stat(text->c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    diag.error(v.mark, v.path, fmt::format("\"{}\" is not a regular file", *text));
    return;
  }
  path = *text;
}

}  // namespace gatehouse::config
