#include "proxy/http/header_map.h"

#include "proxy/base/ascii.h"

namespace gatehouse::http {

void HeaderMap::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

size_t HeaderMap::remove(std::string_view name) {
  return std::erase_if(fields_, [&](const Header& h) { return ascii::iequals(h.name, name); });
}

std::string_view HeaderMap::get(std::string_view name) const {
  for (const Header& h : fields_)
    if (ascii::iequals(h.name, name)) return h.value;
  return {};
}

bool HeaderMap::has(std::string_view name) const {
  for (const Header& h : fields_)
    if (ascii::iequals(h.name, name)) return true;
  return false;
}

bool HeaderMap::hasToken(std::string_view name, std::string_view token) const {
  bool found = false;
  for (const Header& h : fields_) {
    if (!ascii::iequals(h.name, name)) continue;
    ascii::forEachListElement(h.value, [&](std::string_view item) {
      if (ascii::iequals(item, token)) found = true;
    });
  }
  return found;
}

}  // namespace gatehouse::http
