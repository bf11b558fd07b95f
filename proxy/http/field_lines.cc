#include "proxy/http/field_lines.h"

#include "proxy/base/ascii.h"

namespace gatehouse::http {

std::string_view findFieldLine(std::string_view lines, std::string_view name, bool* found) {
  std::string_view value;
  bool seen = false;
  forEachFieldLine(lines, [&](std::string_view n, std::string_view v) {
    if (seen || !ascii::iequals(n, name)) return;
    seen = true;
    value = v;
  });
  if (found) *found = seen;
  return value;
}

FieldLines::FieldLines(const HeaderMap& fields) {
  size_t size = 0;
  for (const Header& h : fields)
    size += h.name.size() + h.value.size() + 4;
  text_.reserve(size);
  for (const Header& h : fields)
    appendFieldLine(text_, h.name, h.value);
}

bool FieldLines::has(std::string_view name) const {
  bool found = false;
  findFieldLine(text_, name, &found);
  return found;
}

HeaderMap FieldLines::toMap() const {
  HeaderMap map;
  forEachFieldLine(text_, [&map](std::string_view n, std::string_view v) { map.add(n, v); });
  return map;
}

}  // namespace gatehouse::http
