#pragma once
// Answers an exchange from a stored object: the full response, HEAD, 304 for a client whose
// copy is current, 206/416 for a Range. No lock is held: the object is immutable and the
// shared_ptr keeps it alive. A small body is copied next to the head; a large one goes out by
// reference (net::addSharedReference holding the object's body alive), without a copy. The
// HTTP rules (preconditions, Range) are http/'s, the same that static files answer with.

#include <memory>
#include <optional>

#include "cache/cache_status.h"
#include "cache/cached_object.h"
#include "proxy/http/exchange.h"

namespace gatehouse::pipeline {

// `replay_early_hints` (cache.replay_early_hints): the 103 the fill saw goes out first.
void serveCachedObject(http::Exchange& exchange, std::shared_ptr<const cache::CachedObject> object,
                       int64_t now, cache::CacheStatus status, bool replay_early_hints = false);

// The 103 Early Hints (RFC 8297) stored with `object`, if any, as an interim response.
void replayEarlyHints(http::Exchange& exchange, const cache::CachedObject& object);

// The head of `object` whose body is still arriving (a coalesced miss following its fill): the
// stored fields and the per-response ones, with the body's length when the origin gave it (else
// the codec streams it: chunked, or to the close on HTTP/1.0). The body is the caller's.
void respondFollowedHead(http::Exchange& exchange, const cache::CachedObject& object,
                         std::optional<uint64_t> length, int64_t now, cache::CacheStatus status);

}  // namespace gatehouse::pipeline
