#include "proxy/base/log.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

namespace gatehouse::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::Info)};

std::string_view levelName(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "?";
}
}  // namespace

std::optional<Level> parseLevel(std::string_view name) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error})
    if (levelName(l) == name) return l;
  return std::nullopt;
}

void setLevel(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view text) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line = fmt::format("{}.{:03}Z [{}] ", stamp, millis, levelName(level));
  // One entry, one line: a multi-line message (a config error list, a library's text) has its
  // line breaks replaced, so that grep, the journal and log shippers see it whole.
  line.reserve(line.size() + text.size() + 1);
  for (char c : text) {
    if (c == '\n')
      line += " | ";
    else if (c != '\r')
      line += c;
  }
  line += '\n';
  // One write per line; a short write to stderr is not worth a retry loop on the data path.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace gatehouse::log
