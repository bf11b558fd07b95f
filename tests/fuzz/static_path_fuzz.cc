// Fuzzes resolvePath(): whatever the URL, an accepted path has no "." or ".." segment, no empty
// segment, no leading '/', no backslash, NUL or control character, is valid UTF-8, and without
// dotfiles allowed no segment starts with '.'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "proxy/static_files/path_resolver.h"

using namespace gatehouse::static_files;

namespace {
void check(const ResolvedPath& p, bool dotfiles) {
  std::string_view rel = p.relative;
  if (!rel.empty() && (rel.front() == '/' || rel.back() == '/')) std::abort();
  if (!isValidUtf8(rel)) std::abort();
  for (char c : rel) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\' || u < 0x20 || u == 0x7f) std::abort();
  }
  while (!rel.empty()) {
    size_t slash = rel.find('/');
    std::string_view seg = rel.substr(0, slash);
    if (seg.empty() || seg == "." || seg == "..") std::abort();
    if (!dotfiles && seg.front() == '.') std::abort();
    if (slash == std::string_view::npos) break;
    rel.remove_prefix(slash + 1);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  for (bool dotfiles : {false, true}) {
    auto r = resolvePath(url, {dotfiles});
    if (auto* p = std::get_if<ResolvedPath>(&r)) check(*p, dotfiles);
  }
  return 0;
}
