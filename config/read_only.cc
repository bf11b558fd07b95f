// `read_only:` the behaviour of read-only mode: Retry-After, the page, the allowed prefixes, the
// minimum cache TTL, and the state to start in when the state file has none.
#include <fmt/format.h>

#include "config/file_reader.h"
#include "config/sections.h"

namespace gatehouse::config {
namespace {

// A page is a small HTML document; anything larger is the wrong file.
constexpr size_t kMaxPageBytes = size_t{1} << 20;

void readPage(const Value& v, ReadOnlyConfig& out, Diagnostics& diag) {
  auto path = readString(v, diag);
  if (!path) return;
  out.page_file = *path;
  auto page = readRegularFile(*path, kMaxPageBytes, "1 MiB");
  if (!page) {
    diag.error(v.mark, v.path, fmt::format("cannot read \"{}\": {}", *path, page.error().message));
    return;
  }
  if (page->empty()) {
    diag.error(v.mark, v.path, fmt::format("\"{}\" is empty", *path));
    return;
  }
  out.page = std::move(*page);
}

// A path prefix as routes take it: starts with '/', no spaces, controls, '?' or '#'.
void readAllowed(const Value& item, ReadOnlyConfig& out, Diagnostics& diag) {
  auto prefix = readString(item, diag);
  if (!prefix) return;
  if (prefix->front() != '/') {
    diag.error(item.mark, item.path, fmt::format("must start with \"/\", got \"{}\"", *prefix));
    return;
  }
  for (char c : *prefix) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '?' || c == '#') {
      diag.error(item.mark, item.path,
                 fmt::format("bad path prefix \"{}\": only a URL path, without spaces, '?' or '#'",
                             *prefix));
      return;
    }
  }
  out.allow.push_back(*prefix);
}

}  // namespace

void readReadOnly(const Value& v, ReadOnlyConfig& out, Diagnostics& diag) {
  readMap(v,
          {
              {"retry_after",
               [&](const Value& r) {
                 auto d = readDuration(r, diag);
                 if (!d) return;
                 // Retry-After carries whole seconds (RFC 9110 §10.2.3).
                 if (d->count() < 1000 || d->count() % 1000 != 0) {
                   diag.error(r.mark, r.path, "must be whole seconds, at least 1s");
                   return;
                 }
                 out.retry_after = *d;
               }},
              {"page", [&](const Value& p) { readPage(p, out, diag); }},
              {"allow",
               [&](const Value& a) {
                 readList(
                     a, [&](const Value& item) { readAllowed(item, out, diag); }, diag);
               }},
              {"min_ttl",
               [&](const Value& m) {
                 if (auto d = readDuration(m, diag)) out.min_ttl = *d;
               }},
              {"default",
               [&](const Value& d) {
                 if (auto b = readBool(d, diag)) out.default_enabled = *b;
               }},
          },
          {}, diag);
}

}  // namespace gatehouse::config
