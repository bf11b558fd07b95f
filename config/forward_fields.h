#pragma once
// The client request fields gatehouse strips before a request reaches a backend, unless
// `forward.allow_headers` lists them: the one list, used by the config check, the upstream that
// strips, and docs/INTERFACE.md (a unit test holds the docs to it).
//
// Each changes what a backend does (the path it serves, the method, the client it believes in,
// proxy credentials) while the cache key never sees it, so a response to one client's forged
// field would be stored under the URL and served to everyone (issue 14, defect 3).

#include <array>
#include <string_view>

namespace gatehouse::config {

struct ClientControlledField {
  std::string_view name;
  std::string_view why;
};

inline constexpr std::array<ClientControlledField, 8> kClientControlledFields = {{
    {"X-Original-URL", "IIS, Symfony and others route by it instead of the request-target"},
    {"X-Rewrite-URL", "the same, on other frameworks"},
    {"X-HTTP-Method-Override", "turns a GET the cache keys as GET into a POST or DELETE"},
    {"X-Forwarded-Port", "backends build absolute URLs and redirects from it"},
    {"X-Forwarded-Prefix", "backends build absolute URLs and redirects from it"},
    {"X-Real-IP", "the client address; gatehouse sets it (as nginx users expect)"},
    {"True-Client-IP", "the client address, as some CDNs send it; forgeable at the edge"},
    {"Proxy-Authorization", "credentials for a proxy: gatehouse is the last one"},
}};

}  // namespace gatehouse::config
