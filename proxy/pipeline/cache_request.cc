#include "proxy/pipeline/cache_request.h"

#include <algorithm>

#include "cache/cache_key.h"
#include "proxy/base/ascii.h"

namespace gatehouse::pipeline {

namespace {

bool isIgnored(std::string_view name, const std::vector<std::string>& ignored) {
  return std::find(ignored.begin(), ignored.end(), name) != ignored.end();
}

// Calls f(name, pair) for each "name=value" pair of every Cookie field, trimmed; stops early
// when f returns false.
template <typename F>
void forEachCookie(const http::HeaderMap& headers, F&& f) {
  for (const http::Header& h : headers) {
    if (!ascii::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = ascii::trimOws(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      if (pair.empty()) continue;
      if (!f(ascii::trimOws(pair.substr(0, pair.find('='))), pair)) return;
    }
  }
}

}  // namespace

void removeIgnoredCookies(http::HeaderMap& headers, const std::vector<std::string>& ignored) {
  if (ignored.empty() || !headers.has("cookie")) return;
  // All Cookie fields become one (RFC 9113 §8.2.3 allows it, HTTP/1.1 sends one anyway).
  std::string kept;
  forEachCookie(headers, [&](std::string_view name, std::string_view pair) {
    if (isIgnored(name, ignored)) return true;
    if (!kept.empty()) kept += "; ";
    kept += pair;
    return true;
  });
  headers.remove("cookie");
  if (!kept.empty()) headers.add("Cookie", kept);
}

bool isAnonymous(const http::RequestHead& request) {
  return !request.headers.has("authorization") && !request.headers.has("cookie");
}

bool carriesSession(const http::RequestHead& request,
                    const std::vector<std::string>& ignored_cookies) {
  if (request.headers.has("authorization")) return true;
  bool session = false;
  forEachCookie(request.headers, [&](std::string_view name, std::string_view) {
    session = !isIgnored(name, ignored_cookies);
    return !session;
  });
  return session;
}

bool isCacheableMethod(std::string_view method) {
  return method == "GET" || method == "HEAD";
}

bool isUnsafeMethod(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS" && method != "TRACE";
}

CacheRoute prepareCacheRequest(http::RequestHead& request,
                               const std::vector<std::string>& ignored_cookies) {
  if (isUnsafeMethod(request.method)) return CacheRoute::Invalidate;
  if (!isCacheableMethod(request.method)) return CacheRoute::Pass;
  if (request.has_body) return CacheRoute::PassBody;
  // Only the cacheable path loses the ignored cookies: a POST or a logged-in request goes to
  // the origin as it came.
  removeIgnoredCookies(request.headers, ignored_cookies);
  // A tunnel (WebSocket) and preconditions other than the validators we answer ourselves
  // (If-Match, If-Unmodified-Since: a 412 must never be stored for everyone) are passed.
  const bool passed_as_is = request.upgrade || request.headers.has("if-match") ||
                            request.headers.has("if-unmodified-since");
  if (!isAnonymous(request) || passed_as_is) return CacheRoute::Pass;
  if (request.headers.has("accept-encoding")) {
    std::string coding = cache::normalizeAcceptEncoding(request.headers.get("accept-encoding"));
    request.headers.remove("accept-encoding");
    if (!coding.empty()) request.headers.add("Accept-Encoding", coding);
  }
  return CacheRoute::Lookup;
}

}  // namespace gatehouse::pipeline
