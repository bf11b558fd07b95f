#pragma once
// What the cache does to a request before anything else looks at it (Varnish's vcl_recv):
// drops the cookies that do not personalise a response, decides whether the request is
// anonymous, and normalises Accept-Encoding. Pure functions over the request head.

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/message.h"

namespace gatehouse::pipeline {

// Removes the named cookies from every Cookie field, and the field when nothing is left.
void removeIgnoredCookies(http::HeaderMap& headers, const std::vector<std::string>& ignored);

// No Authorization and no Cookie (after removeIgnoredCookies): the response cannot be personal.
bool isAnonymous(const http::RequestHead& request);

// Authorization, or a Cookie other than the ignored ones: a logged-in user's request (read
// before removeIgnoredCookies, which only the cacheable path applies).
bool carriesSession(const http::RequestHead& request,
                    const std::vector<std::string>& ignored_cookies);

// GET or HEAD: what a cache may answer (RFC 9111 §4).
bool isCacheableMethod(std::string_view method);

// POST, PUT, PATCH, DELETE and any unknown method: a success invalidates (RFC 9111 §4.4).
bool isUnsafeMethod(std::string_view method);

// What the cache does with a request, decided once its head is normalised.
enum class CacheRoute {
  Invalidate,  // unsafe method: forwarded, and a success invalidates the URL
  Pass,        // forwarded as is, never answered from the cache
  PassBody,    // a GET/HEAD with a body: passed too, as its response may reflect what only this
               // client sent (stored, it would poison the URL for everyone)
  Lookup,      // anonymous GET/HEAD without a body: looked up
};

// Classifies the request and, for a lookup, normalises it in place: the ignored cookies go and
// Accept-Encoding is reduced to the coding keyed on. Idempotent (a request may be prepared by
// the fast hit path and again by the CacheHandler).
CacheRoute prepareCacheRequest(http::RequestHead& request,
                               const std::vector<std::string>& ignored_cookies);

}  // namespace gatehouse::pipeline
