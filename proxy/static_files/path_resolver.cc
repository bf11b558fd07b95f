#include "proxy/static_files/path_resolver.h"

#include "proxy/base/ascii.h"

namespace gatehouse::static_files {
namespace {

Refusal refuse(Decision reason, int status = 400) {
  return Refusal{status, reason};
}

}  // namespace

bool isValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // a continuation byte first, or 0xF8..0xFF
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::variant<ResolvedPath, Refusal> resolvePath(std::string_view encoded, const PathRules& rules) {
  std::string decoded;
  decoded.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '\\') return refuse(Decision::RefusedBackslash);
    if (c != '%') {
      decoded.push_back(c);
      continue;
    }
    if (i + 2 >= encoded.size()) return refuse(Decision::RefusedBadEncoding);
    int hi = ascii::hexValue(encoded[i + 1]), lo = ascii::hexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return refuse(Decision::RefusedBadEncoding);
    char d = static_cast<char>(hi * 16 + lo);
    if (d == '/' || d == '\\') return refuse(Decision::RefusedEncodedSlash);
    if (d == '%') return refuse(Decision::RefusedBadEncoding);  // %25: double encoding
    decoded.push_back(d);
    i += 2;
  }
  for (char c : decoded) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return refuse(Decision::RefusedNul);
  }
  if (!isValidUtf8(decoded)) return refuse(Decision::RefusedBadEncoding);

  ResolvedPath out;
  out.trailing_slash = !decoded.empty() && decoded.back() == '/';
  std::string_view rest = decoded;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty()) continue;
    if (segment == "." || segment == "..") return refuse(Decision::RefusedTraversal);
    if (segment.front() == '.' && !rules.allow_dotfiles)
      return refuse(Decision::RefusedDotfile, 404);
    if (!out.relative.empty()) out.relative.push_back('/');
    out.relative.append(segment);
  }
  return out;
}

}  // namespace gatehouse::static_files
