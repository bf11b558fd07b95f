#pragma once
// Varnish-compatible invalidation on the public listeners, answered by gatehouse itself and
// never passed to an origin, so that CMS purge plugins work unchanged:
//   PURGE /path            every variant of that URL (this Host, this listener's scheme)
//   PURGE /path with `xkey`, `xkey-purge` or `Surrogate-Key: a b`   every object tagged a or b
//   PURGE /prefix/.* with `X-Purge-Method: regex`   every URL under /prefix/ (WordPress' plugin)
//   BAN /prefix            every URL whose path starts with /prefix
// Allowed from the client networks of cache.purge_from, or with the admin token
// (Authorization: Bearer); anyone else gets 403. Answered 200 {"purged": N}; when N is 0 the
// answer has a "hint" (cached objects of the same path under another scheme, host or port).

#include <atomic>
#include <cstdint>
#include <string>

#include "proxy/http/exchange.h"
#include "proxy/pipeline/cache_policy.h"

namespace gatehouse::pipeline {

struct PurgeCounters {
  std::atomic<uint64_t> purged{0};   // invalidations that removed something
  std::atomic<uint64_t> nothing{0};  // ... that matched nothing
  std::atomic<uint64_t> refused{0};  // 403: not from purge_from, no admin token
  static PurgeCounters& process();
};

// Whether the method is one this file answers (cheap: a length test first).
inline bool isInvalidationMethod(std::string_view method) {
  return (method.size() == 5 && method == "PURGE") || (method.size() == 3 && method == "BAN");
}

// Answers a PURGE or BAN request. `cache` may be null (no cache: 409).
void answerInvalidation(http::Exchange& exchange, const CachePolicy* cache);

// For a purge of `key` that removed nothing: what else is stored under that path, as a sentence
// ("cached under other hosts or ports: http://example.com:8080/a"), or empty.
std::string nothingPurgedHint(cache::CacheStore& store, const std::string& key);

}  // namespace gatehouse::pipeline
