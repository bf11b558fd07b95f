#include "proxy/http/request_target.h"

#include <array>
#include <cstdint>

#include "proxy/base/ascii.h"

namespace gatehouse::http {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
// reg-name bytes other than pct-encoded (RFC 3986 §3.2.2): unreserved and sub-delims. A table:
// Host is checked on every request.
constexpr std::array<bool, 256> makeRegNameTable() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  for (char c : std::string_view("-._~!$&'()*+;="))
    t[static_cast<uint8_t>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kRegNameTable = makeRegNameTable();

bool isHexDigit(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// absolute-form: "http://" or "https://" (case-insensitive), an authority, then path or query.
bool isAbsoluteForm(std::string_view t) {
  size_t sep = t.find("://");
  if (sep == std::string_view::npos) return false;
  std::string_view scheme = t.substr(0, sep);
  if (!ascii::iequals(scheme, "http") && !ascii::iequals(scheme, "https")) return false;
  std::string_view rest = t.substr(sep + 3);
  return isAuthority(rest.substr(0, rest.find_first_of("/?")), false);
}

}  // namespace

bool isAuthority(std::string_view a, bool port_required) {
  size_t i = 0;
  if (!a.empty() && a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (i = 1; i < close; ++i)
      if (!isHexDigit(a[i]) && a[i] != ':' && a[i] != '.') return false;
    i = close + 1;
  } else {
    for (; i < a.size() && a[i] != ':'; ++i) {
      const char c = a[i];
      if (kRegNameTable[static_cast<uint8_t>(c)]) continue;
      if (c != '%') return false;
      if (i + 2 >= a.size() || !isHexDigit(a[i + 1]) || !isHexDigit(a[i + 2])) return false;
      i += 2;
    }
    if (i == 0) return false;
  }
  if (i == a.size()) return !port_required;
  if (a[i] != ':') return false;
  std::string_view port = a.substr(i + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port)
    if (!isDigit(c)) return false;
  return true;
}

bool isTargetForm(std::string_view method, std::string_view target) {
  if (target.empty() || target.find('#') != std::string_view::npos) return false;
  bool connect = method == "CONNECT";
  if (target[0] == '/') return !connect;
  if (target == "*") return method == "OPTIONS";
  if (connect) return isAuthority(target, true);
  return isAbsoluteForm(target);
}

bool isHttp2Path(std::string_view method, std::string_view path) {
  for (char c : path)
    if (!isTargetByte(c)) return false;
  if (path.empty() || path.find('#') != std::string_view::npos || method == "CONNECT") return false;
  if (path == "*") return method == "OPTIONS";
  return path[0] == '/';
}

}  // namespace gatehouse::http
