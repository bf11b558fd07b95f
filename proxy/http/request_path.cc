#include "proxy/http/request_path.h"

#include <cstddef>

namespace gatehouse::http {
namespace {

// "%2e" etc.: the two hex digits after a '%' at `i`, case-insensitive.
bool isEscape(std::string_view p, size_t i, char hi, char lo) {
  return i + 2 < p.size() && p[i] == '%' && p[i + 1] == hi && (p[i + 2] | 0x20) == lo;
}

// The length of a separator at `i` ('/' or '\', or "%2F" or "%5C"), or 0.
size_t separatorAt(std::string_view p, size_t i) {
  const char c = p[i];
  if (c == '/' || c == '\\') return 1;
  if (c != '%') return 0;
  return isEscape(p, i, '2', 'f') || isEscape(p, i, '5', 'c') ? 3 : 0;
}

// The length of a dot at `i` ('.' or "%2E"), or 0.
size_t dotAt(std::string_view p, size_t i) {
  if (p[i] == '.') return 1;
  return isEscape(p, i, '2', 'e') ? 3 : 0;
}

}  // namespace

bool hasDotSegment(std::string_view path) {
  const size_t n = path.size();
  size_t i = 0;  // the start of a segment
  while (true) {
    size_t j = i;
    int dots = 0;
    while (j < n && dots < 3) {
      const size_t d = dotAt(path, j);
      if (d == 0) break;
      j += d;
      ++dots;
    }
    if ((dots == 1 || dots == 2) && (j == n || separatorAt(path, j) > 0)) return true;
    size_t sep = 0;
    for (; j < n; ++j) {
      const char c = path[j];
      if ((c == '/' || c == '\\' || c == '%') && (sep = separatorAt(path, j)) > 0) break;
    }
    if (j == n) return false;
    i = j + sep;
  }
}

}  // namespace gatehouse::http
