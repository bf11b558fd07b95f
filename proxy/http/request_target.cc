#include "proxy/http/request_target.h"

#include "proxy/base/ascii.h"

namespace gatehouse::http {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
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
    constexpr std::string_view kRegNameExtra = "-._~!$&'()*+;=";
    for (; i < a.size() && a[i] != ':'; ++i) {
      char c = a[i];
      if (c == '%') {
        if (i + 2 >= a.size() || !isHexDigit(a[i + 1]) || !isHexDigit(a[i + 2])) return false;
        i += 2;
      } else if (!isDigit(c) && !(ascii::toLower(c) >= 'a' && ascii::toLower(c) <= 'z') &&
                 kRegNameExtra.find(c) == std::string_view::npos) {
        return false;
      }
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
