#pragma once
// The error log: leveled lines on stderr, "2026-11-25T04:50:00.123Z [warn] text", one line per
// entry (line breaks in the text become " | "). `log.error: PATH` points stderr at a file
// (server/log_files.h).
// Cheap when a level is off (one atomic load); a line is written with one write(2) so lines of
// different threads never interleave.

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <string_view>

namespace gatehouse::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

std::optional<Level> parseLevel(std::string_view name);
void setLevel(Level level);
bool enabled(Level level);
void write(Level level, std::string_view text);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Error)) write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace gatehouse::log
