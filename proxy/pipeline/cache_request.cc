#include "proxy/pipeline/cache_request.h"

#include <algorithm>

#include "proxy/base/ascii.h"

namespace gatehouse::pipeline {

void removeIgnoredCookies(http::HeaderMap& headers, const std::vector<std::string>& ignored) {
  if (ignored.empty() || !headers.has("cookie")) return;
  // All Cookie fields become one (RFC 9113 §8.2.3 allows it, HTTP/1.1 sends one anyway).
  std::string kept;
  for (const http::Header& h : headers) {
    if (!ascii::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = ascii::trimOws(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      if (pair.empty()) continue;
      std::string_view name = ascii::trimOws(pair.substr(0, pair.find('=')));
      if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) continue;
      if (!kept.empty()) kept += "; ";
      kept += pair;
    }
  }
  headers.remove("cookie");
  if (!kept.empty()) headers.add("Cookie", kept);
}

bool isAnonymous(const http::RequestHead& request) {
  return !request.headers.has("authorization") && !request.headers.has("cookie");
}

bool isCacheableMethod(std::string_view method) {
  return method == "GET" || method == "HEAD";
}

bool isUnsafeMethod(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS" && method != "TRACE";
}

}  // namespace gatehouse::pipeline
