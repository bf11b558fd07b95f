#pragma once
// Header fields in HTTP/1 wire form: "Name: value\r\n" lines in one string. A stored response
// keeps its fields this way: one allocation instead of two per field, and a cache hit hands the
// bytes to the codec as they are (ResponseHead::preformatted): HTTP/1 copies them, HTTP/2 walks
// them with forEachFieldLine. Only well-formed fields go in (names without ':', values without
// CR or LF, as both parsers guarantee), so walking the lines back is exact.

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "proxy/http/header_map.h"

namespace gatehouse::http {

// Calls fn(name, value) for each line of `lines`, which appendFieldLine() wrote.
template <typename Fn>
void forEachFieldLine(std::string_view lines, Fn&& fn) {
  while (!lines.empty()) {
    const size_t colon = lines.find(':');
    const size_t end = lines.find("\r\n", colon);
    if (colon == std::string_view::npos || end == std::string_view::npos || end < colon + 2) return;
    fn(lines.substr(0, colon), lines.substr(colon + 2, end - colon - 2));
    lines.remove_prefix(end + 2);
  }
}

// Writes "name: value\r\n" at `at`, which has room for name.size() + value.size() + 4 bytes.
inline void writeFieldLine(char* at, std::string_view name, std::string_view value) {
  if (!name.empty()) std::memcpy(at, name.data(), name.size());
  at += name.size();
  *at++ = ':';
  *at++ = ' ';
  if (!value.empty()) std::memcpy(at, value.data(), value.size());
  at += value.size();
  *at++ = '\r';
  *at = '\n';
}

// Appends "name: value\r\n" to anything with append(std::string_view); in one piece to a
// buffer that can grow(n) (InlineBuffer), which is what a cache hit writes its fields with, and
// to a std::string (one resize: four appends cost a forwarded request ~100 instructions a line).
template <typename Out>
void appendFieldLine(Out& out, std::string_view name, std::string_view value) {
  const size_t n = name.size() + value.size() + 4;
  if constexpr (requires { out.grow(size_t{0}); }) {
    writeFieldLine(out.grow(n), name, value);
  } else if constexpr (std::is_same_v<Out, std::string>) {
    const size_t at = out.size();
    out.resize(at + n);
    writeFieldLine(out.data() + at, name, value);
  } else {
    out.append(name);
    out.append(std::string_view(": "));
    out.append(value);
    out.append(std::string_view("\r\n"));
  }
}

// The first value of `name` (case-insensitive) in `lines`, or empty; `found` says whether the
// field is there at all (an empty value is a value).
std::string_view findFieldLine(std::string_view lines, std::string_view name,
                               bool* found = nullptr);

class FieldLines {
 public:
  FieldLines() = default;
  explicit FieldLines(const HeaderMap& fields);
  // Lines that appendFieldLine() wrote (a stored object's, copied back).
  static FieldLines fromWire(std::string_view lines) {
    FieldLines f;
    f.text_ = lines;
    return f;
  }

  std::string_view wire() const { return text_; }
  std::string_view get(std::string_view name) const { return findFieldLine(text_, name); }
  bool has(std::string_view name) const;
  HeaderMap toMap() const;
  bool empty() const { return text_.empty(); }
  // Heap bytes held (for the cache's memory accounting).
  size_t bytes() const { return text_.capacity(); }

 private:
  std::string text_;
};

}  // namespace gatehouse::http
