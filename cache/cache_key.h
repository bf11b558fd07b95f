#pragma once
// What identifies a stored response (RFC 9111 §2, §4.1): the primary key is scheme, host and
// target, normalised so that spellings of one URL share an entry; `Vary` adds a secondary key
// made of the request's values of the named fields, so variants live side by side under one
// primary key (and a purge of the URL removes them all).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"
#include "proxy/http/message.h"

namespace gatehouse::cache {

// "https://example.com/a/b?x=1": scheme and host lowercased, the default port dropped,
// percent-escapes of unreserved characters decoded and the others' hex digits uppercased
// (RFC 3986 §6.2.2). The query is kept as sent: its order can matter to the origin.
std::string primaryKey(const http::RequestHead& request);
std::string primaryKey(std::string_view scheme, std::string_view authority,
                       std::string_view target);
// The same key written over `key`, whose capacity is reused: a caller that looks up a key per
// request keeps one string rather than allocate one each time.
void primaryKeyInto(std::string& key, std::string_view scheme, std::string_view authority,
                    std::string_view target);
// The same key from an absolute URL (the admin API's purge); nullopt if it is not one.
std::optional<std::string> primaryKeyFromUrl(std::string_view url);
// The path part of a primary key (from the first '/' after the host), for bans by prefix.
std::string_view keyPath(std::string_view key);
// The normalised path and query of a target, as used in keys.
std::string normalizeTarget(std::string_view target);

// Accept-Encoding reduced to the one coding we key on: "br", "gzip" or "" (identity), so that
// the dozens of browser spellings make three variants, not dozens. The request forwarded to
// the origin carries the reduced value, so the stored variant is exactly what was asked for.
std::string normalizeAcceptEncoding(std::string_view value);

// The lowercase field names of a response's Vary, sorted and without duplicates.
std::vector<std::string> varyFields(const http::HeaderMap& response_headers);
// The secondary key of `request_headers` for those fields: each field's combined value,
// whitespace-normalised (Accept-Encoding reduced as above), joined unambiguously.
std::string varyKey(const std::vector<std::string>& fields, const http::HeaderMap& request_headers);

}  // namespace gatehouse::cache
