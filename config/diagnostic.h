#pragma once
// Collects validation errors as "FILE:LINE:COL: KEY: why" lines, so that one run of
// `gatehouse check` reports every problem instead of the first.

#include <yaml-cpp/mark.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::config {

class Diagnostics {
 public:
  // After this many errors the rest are likely echoes of the first; stop and say so. The cap
  // also bounds the work on a file whose aliases repeat one bad node many times.
  static constexpr size_t kMaxErrors = 50;

  explicit Diagnostics(std::string source) : source_(std::move(source)) {}

  // Records an error at `at`, a yaml-cpp mark (0-based; a null mark is reported as 1:1).
  // `key` is the dotted path (`backends.app.servers[1].address`); when empty the line has only
  // the reason. Errors past kMaxErrors are dropped.
  void error(const YAML::Mark& at, std::string_view key, std::string_view why);

  bool empty() const { return entries_.empty(); }
  // True once kMaxErrors are kept: walkers stop early.
  bool full() const { return entries_.size() >= kMaxErrors; }
  const std::string& source() const { return source_; }

  // All kept errors sorted by position (then by the order found), one per line, no trailing
  // newline; when the cap was reached a last line says the check stopped early.
  std::string text() const;

 private:
  struct Entry {
    int line;
    int column;
    std::string text;
  };
  std::string source_;
  std::vector<Entry> entries_;
};

}  // namespace gatehouse::config
