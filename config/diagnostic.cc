#include "config/diagnostic.h"

#include <fmt/format.h>

#include <algorithm>

namespace gatehouse::config {
namespace {

// Keys and values come from the file; a newline in one must not split an error into two lines
// (tools read one error per line), and terminal escapes have no business in a terminal.
std::string escapeControls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  return out;
}

}  // namespace

void Diagnostics::error(const YAML::Mark& at, std::string_view key, std::string_view why) {
  if (full()) return;
  // yaml-cpp counts from 0 and marks "nowhere" with -1; operators and editors count from 1.
  int line = at.line < 0 ? 1 : at.line + 1;
  int column = at.column < 0 ? 1 : at.column + 1;
  std::string text = key.empty()
                         ? fmt::format("{}:{}:{}: {}", source_, line, column, escapeControls(why))
                         : fmt::format("{}:{}:{}: {}: {}", source_, line, column,
                                       escapeControls(key), escapeControls(why));
  entries_.push_back(Entry{line, column, std::move(text)});
}

std::string Diagnostics::text() const {
  // Sections are checked in dependency order, not file order; sort so the output reads top-down.
  std::vector<const Entry*> sorted;
  sorted.reserve(entries_.size());
  for (const Entry& e : entries_)
    sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return a->line != b->line ? a->line < b->line : a->column < b->column;
  });
  std::string out;
  for (const Entry* e : sorted) {
    if (!out.empty()) out += '\n';
    out += e->text;
  }
  if (full()) out += fmt::format("\n{}: too many errors; stopped after {}", source_, kMaxErrors);
  return out;
}

}  // namespace gatehouse::config
