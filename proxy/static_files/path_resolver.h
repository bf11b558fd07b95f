#pragma once
// The URL path under a static prefix -> a path relative to the root, or a refusal. Pure (no
// file system): the checks that need the disk (symlinks leaving the root) are in
// file_opener.h. The rules, in order, each with its own counter:
//   raw backslash                             400 RefusedBackslash
//   bad %-escape, or '%' left after decoding  400 RefusedBadEncoding (double encoding: %252e)
//   %2F or %5C (an encoded separator)         400 RefusedEncodedSlash
//   NUL or another control character          400 RefusedNul
//   invalid UTF-8 (overlong %C0%AE, surrogates, stray bytes)   400 RefusedBadEncoding
//   a "." or ".." segment, raw or decoded     400 RefusedTraversal
//   a segment starting with '.' (dotfiles)    404 RefusedDotfile, unless allowed
// Empty segments ("a//b") are merged, as nginx does.

#include <string>
#include <string_view>
#include <variant>

#include "proxy/static_files/static_counters.h"

namespace gatehouse::static_files {

struct ResolvedPath {
  std::string relative;         // "css/app.css": segments joined by '/', no leading slash
  bool trailing_slash = false;  // the URL named a folder ("docs/")
};

struct Refusal {
  int status = 400;
  Decision reason = Decision::RefusedTraversal;
};

struct PathRules {
  bool allow_dotfiles = false;
};

// `encoded`: the request path after the prefix, query removed, still percent-encoded.
std::variant<ResolvedPath, Refusal> resolvePath(std::string_view encoded, const PathRules& rules);

// True if `s` is well-formed UTF-8: shortest forms only, no surrogates, at most U+10FFFF.
bool isValidUtf8(std::string_view s);

}  // namespace gatehouse::static_files
