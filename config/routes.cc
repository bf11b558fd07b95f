// `routes:` host + path prefix -> backend, first match wins.
#include <fmt/format.h>

#include <algorithm>

#include "config/sections.h"
#include "proxy/base/result.h"

namespace gatehouse::config {
namespace {

constexpr std::string_view kHostPatternRule = "use \"*\", an exact host, or \"*.suffix\"";

// A DNS name or IPv4 literal: dot-separated labels of letters, digits, '-' and '_'.
bool isHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

// The pattern lowercased, since hosts compare case-insensitively and the router then compares
// bytes; or the reason it is not a pattern.
Result<std::string> normalizeHostPattern(std::string_view text) {
  std::string host(text);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  if (host == "*") return host;
  std::string_view name = host;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.find(':') != std::string_view::npos)
    return Error{fmt::format("bad host pattern \"{}\": hosts are matched without the port", text)};
  if (!isHostName(name))
    return Error{fmt::format("bad host pattern \"{}\" ({})", text, kHostPatternRule)};
  return host;
}

// A prefix of the request path: starts with '/', and holds no characters a request-target
// cannot (spaces, controls) or that are not part of the path ('?', '#').
std::optional<std::string> checkPathPrefix(const std::string& prefix) {
  if (prefix.front() != '/') return fmt::format("must start with \"/\", got \"{}\"", prefix);
  for (char c : prefix) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '?' || c == '#')
      return fmt::format("bad path prefix \"{}\": only a URL path, without spaces, '?' or '#'",
                         prefix);
  }
  return std::nullopt;
}

// `cache_ttl_statuses`: a list of final statuses that a forced lifetime may give to a response.
// 206 and 304 are refused: neither is stored as a response of its own.
void readCacheTtlStatuses(const Value& v, std::vector<int>& statuses, Diagnostics& diag) {
  std::vector<int> read;
  readList(
      v,
      [&](const Value& item) {
        auto status = readUint(item, 200, 599, diag);
        if (!status) return;
        if (*status == 206 || *status == 304)
          return diag.error(item.mark, item.path,
                            fmt::format("{} is never stored as a response of its own", *status));
        read.push_back(static_cast<int>(*status));
      },
      diag);
  statuses = std::move(read);
}

// `invalidate_on_unsafe: true | false | session`.
std::optional<InvalidateOnUnsafe> readInvalidateOnUnsafe(const Value& v, Diagnostics& diag) {
  return readChoice<InvalidateOnUnsafe>(v,
                                        {{"true", InvalidateOnUnsafe::Always},
                                         {"false", InvalidateOnUnsafe::Never},
                                         {"session", InvalidateOnUnsafe::Session}},
                                        diag);
}

// "app, api" for "unknown backend" messages; a long list is cut short.
std::string backendNames(const std::vector<BackendConfig>& backends) {
  constexpr size_t kMaxListed = 8;
  std::string names;
  for (size_t i = 0; i < backends.size(); ++i) {
    if (i == kMaxListed) return names + ", ...";
    names += (i == 0 ? "" : ", ") + backends[i].name;
  }
  return names;
}

RouteConfig readRoute(const Value& item, const std::vector<BackendConfig>& backends,
                      bool cache_enabled, Diagnostics& diag) {
  RouteConfig route;
  readMap(item,
          {
              {"host",
               [&](const Value& v) {
                 auto s = readString(v, diag);
                 if (!s) return;
                 auto host = normalizeHostPattern(*s);
                 if (!host) return diag.error(v.mark, v.path, host.error().message);
                 route.host = std::move(*host);
               }},
              {"path_prefix",
               [&](const Value& v) {
                 auto s = readString(v, diag);
                 if (!s) return;
                 if (auto why = checkPathPrefix(*s)) return diag.error(v.mark, v.path, *why);
                 route.path_prefix = std::move(*s);
               }},
              {"backend",
               [&](const Value& v) {
                 auto name = readString(v, diag);
                 if (!name) return;
                 if (!backends.empty() &&
                     !std::any_of(backends.begin(), backends.end(),
                                  [&](const BackendConfig& b) { return b.name == *name; })) {
                   diag.error(v.mark, v.path,
                              fmt::format("unknown backend \"{}\" (defined: {})", *name,
                                          backendNames(backends)));
                 }
                 route.backend = std::move(*name);
               },
               /*required=*/true},
              {"cache",
               [&](const Value& v) {
                 if (auto b = readBool(v, diag)) route.cache = *b;
                 // Refused rather than ignored: nobody should believe a route is cached when
                 // no cache exists.
                 if (route.cache && !cache_enabled)
                   diag.error(v.mark, v.path, "needs a top-level `cache:` section");
               }},
              {"cache_ttl",
               [&](const Value& v) {
                 if (auto d = readDuration(v, diag)) route.cache_ttl = *d;
               }},
              {"cache_ttl_statuses",
               [&](const Value& v) { readCacheTtlStatuses(v, route.cache_ttl_statuses, diag); }},
              {"strip_set_cookie",
               [&](const Value& v) {
                 if (auto b = readBool(v, diag)) route.strip_set_cookie = *b;
               }},
              {"invalidate_on_unsafe",
               [&](const Value& v) {
                 if (auto i = readInvalidateOnUnsafe(v, diag)) route.invalidate_on_unsafe = *i;
               }},
          },
          {}, diag);
  return route;
}

}  // namespace

void readRoutes(const Value& v, const std::vector<BackendConfig>& backends, bool cache_enabled,
                std::vector<RouteConfig>& routes, Diagnostics& diag) {
  size_t count = 0;
  bool is_list = readList(
      v,
      [&](const Value& item) {
        ++count;
        routes.push_back(readRoute(item, backends, cache_enabled, diag));
      },
      diag);
  if (is_list && count == 0) diag.error(v.mark, v.path, "at least one route is required");
}

}  // namespace gatehouse::config
