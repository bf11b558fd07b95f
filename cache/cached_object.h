#pragma once
// One stored response: immutable once built, shared by reference count. A hit copies the
// shared_ptr under the shard's lock and serves without it; a purge or eviction drops the
// store's reference only, so a response being sent keeps its bytes until it is done.
// A 304 refresh builds a new object that shares the body.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/http/field_lines.h"

namespace gatehouse::cache {

// A stored body: exactly its size (a std::string would allocate one more byte for its
// terminator, which bumps a 1 KiB body into the allocator's 1.25 KiB class).
using Body = std::vector<char>;

struct CachedObject {
  std::string key;                       // primary key (cache_key.h)
  std::vector<std::string> vary_fields;  // lowercase, sorted
  std::string vary_key;                  // this variant's secondary key

  std::string reason;
  // As clients see them, in HTTP/1 wire form (a hit copies them as bytes): no hop-by-hop
  // fields, no Age, no Set-Cookie (only stored when the route strips it), no
  // Surrogate-Key/Cache-Tag, no Accept-Ranges (a hit says what it does with ranges).
  http::FieldLines fields;
  std::shared_ptr<const Body> body;
  std::vector<std::string> tags;  // from Surrogate-Key / Cache-Tag
  std::string etag;               // validators, for conditional requests both ways
  std::string last_modified;
  // The targeted field (RFC 9213) whose directives set its freshness, when clients do not see
  // it (so not in `fields`): a 304 without one is judged by it again. Usually empty.
  std::string targeted;
  // The 103 Early Hints (RFC 8297) the fill saw, their fields in HTTP/1 wire form, when
  // cache.replay_early_hints kept them: a hit replays them before the response. Usually null.
  std::shared_ptr<const http::FieldLines> early_hints;

  // Freshness, in wall-clock seconds (RFC 9111 §4.2.3).
  int64_t response_time = 0;
  int64_t corrected_initial_age = 0;
  int64_t freshness_lifetime = 0;
  // Seconds past freshness (RFC 5861, measured from the moment it became stale) it may still be
  // served: while one refresh runs (stale-while-revalidate), or while the origin fails
  // (stale-if-error). 0: never; always 0 when a directive forbids serving stale (§4.2.4).
  uint32_t swr_window = 0;
  uint32_t sie_window = 0;
  // (Next to the windows, with the flags below: one 8-byte word, no padding.)
  int status = 200;
  // Fresh longer than the origin said, by read_only.min_ttl: dropped when read-only mode ends
  // (CacheStore::endReadOnly), so that the mode's lifetimes do not outlive it.
  bool read_only_extended = false;
  // A marker, not a response (Varnish's hit-for-miss): the last response for this URL was not
  // storable, so requests go straight to the origin instead of queueing behind one another.
  bool hit_for_pass = false;

  uint64_t charge = 0;  // bytes counted against cache.memory

  int64_t currentAge(int64_t now) const {
    return corrected_initial_age + (now > response_time ? now - response_time : 0);
  }
  // Seconds of freshness left; negative once stale (RFC 9211's ttl).
  int64_t ttl(int64_t now) const { return freshness_lifetime - currentAge(now); }
  bool isFresh(int64_t now) const { return ttl(now) > 0; }
  bool hasValidator() const { return !etag.empty() || !last_modified.empty(); }
  // Stale, but within stale-while-revalidate: served at once while one refresh runs.
  bool mayServeWhileRevalidating(int64_t now) const { return isStaleWithin(now, swr_window); }
  // Stale, but within stale-if-error: served when the origin fails (5xx, down, timeout).
  bool mayServeOnError(int64_t now) const { return isStaleWithin(now, sie_window); }
  // Past freshness and both windows, and nothing to revalidate with: useless, dropped on sight.
  // (With a validator it stays while memory allows: a 304 costs the origin less than a 200.)
  // (The validator test first: it is cheaper, and every lookup asks.)
  bool isDead(int64_t now) const {
    return !hasValidator() && ttl(now) + std::max(swr_window, sie_window) <= 0;
  }

  bool isStaleWithin(int64_t now, uint32_t window) const {
    const int64_t left = ttl(now);
    return left <= 0 && left + window > 0;
  }

  // Bytes this object costs: body, fields, keys, and the bookkeeping around them.
  static uint64_t computeCharge(const CachedObject& o);
};

inline uint64_t CachedObject::computeCharge(const CachedObject& o) {
  // sizeof(CachedObject) + the control block + the store's slot and index node, measured
  // roughly with jemalloc size classes; bench/cache.sh compares the total with RSS.
  constexpr uint64_t kOverhead = 640;
  uint64_t bytes = kOverhead + o.key.size() + o.vary_key.size() + o.reason.size() + o.etag.size() +
                   o.last_modified.size() + o.targeted.size();
  if (o.body) bytes += o.body->capacity();
  bytes += o.fields.bytes();
  if (o.early_hints) bytes += o.early_hints->bytes() + 48;
  for (const std::string& f : o.vary_fields)
    bytes += f.size() + 32;
  // A Vary'd variant also has a node in its key's map of variants: a copy of its secondary
  // key, the slot pointer, and a share of the buckets.
  if (!o.vary_fields.empty()) bytes += o.vary_key.size() + 64;
  for (const std::string& t : o.tags)
    bytes += t.size() + 32;
  return bytes;
}

}  // namespace gatehouse::cache
