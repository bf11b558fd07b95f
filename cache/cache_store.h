#pragma once
// The shared, byte-bounded object store: sharded by key, one short mutex per shard, no lock
// held while a response is written (lookups hand out a shared_ptr to an immutable object).
//
// Eviction is S3-FIFO (Yang et al., SOSP'23): new objects enter a small FIFO (10% of the
// bytes); one that is hit again before it leaves moves to the main FIFO, the others leave and
// are remembered in a ghost FIFO of key hashes, so that a key that comes back soon goes straight
// to main. Main is a FIFO with second chances (a hit sets up to 3). Why: a crawler or a one-off
// scan of cold URLs only churns the small queue and never flushes the hot set, which LRU would;
// and a hit costs one increment under the shard lock, not a list move.
//
// Concurrent misses for one key are coalesced here too (Varnish's waiting list): the first
// becomes the filler, the others wait for its outcome.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_counters.h"
#include "cache/cache_shard.h"
#include "cache/cached_object.h"

namespace gatehouse::cache {

class CacheStore {
 public:
  static constexpr size_t kShards = 16;              // shardFor() takes the hash's top 4 bits
  static constexpr size_t kDefaultMaxVariants = 32;  // cache.max_variants' default

  CacheStore(uint64_t memory_bytes, uint64_t max_object_bytes,
             size_t max_variants = kDefaultMaxVariants);
  ~CacheStore();
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  // A reload may change the bounds; shrinking evicts at the next insert of each shard (and a
  // key over a smaller max_variants keeps its variants until they go).
  void setLimits(uint64_t memory_bytes, uint64_t max_object_bytes,
                 size_t max_variants = kDefaultMaxVariants);
  uint64_t maxObjectBytes() const { return max_object_.load(std::memory_order_relaxed); }

  // The variant of `key` whose Vary'd fields match `request_headers`, or null. Objects past
  // freshness and grace are dropped here. Counts nothing: the caller knows what it was.
  std::shared_ptr<const CachedObject> lookup(const std::string& key,
                                             const http::HeaderMap& request_headers, int64_t now);

  // Stores `object`, replacing the variant with the same vary key. Refused (false) when it is
  // over max_object, when it would be a variant more than max_variants (counted), or when its
  // URL was purged (or anything banned, or read-only ended) since `epoch` (from epoch() when
  // the fill began): the response might predate the purge and must not outlive it.
  bool insert(std::shared_ptr<const CachedObject> object, uint64_t epoch);
  // Whether insert() would take `object` as far as max_variants goes; a fill asks before it
  // copies the body (false is counted). insert() checks again.
  bool hasRoomFor(const ObjectDraft& object) { return shardFor(object.key).hasRoomFor(object); }

  // Invalidation; each returns the number of objects removed and bumps the epoch. The admin
  // API's operations are counted as such (invalidations by cause).
  size_t purge(const std::string& key);           // every variant of one URL (operator)
  size_t banPathPrefix(std::string_view prefix);  // every URL whose path starts with prefix
  size_t banTag(std::string_view tag);            // every object carrying the tag
  // Up to `limit` stored URLs (primary keys) with this path and query under any scheme, host
  // or port: what a purge that matched nothing may have meant. A scan: operators only.
  std::vector<std::string> keysWithPath(std::string_view path, size_t limit);
  // Every variant of one URL, dropped by the data path (an unsafe request's success, a 304 that
  // forbids storing): its caller counts why.
  size_t invalidate(const std::string& key);
  // Read-only mode was switched off: drops every object it kept past the origin's freshness
  // (read_only_extended), and, as a ban does, refuses the fills that began before, which may
  // carry such lifetimes too.
  size_t endReadOnly();
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  // Coalescing. The filler for `key` must call finishFill() exactly once; a waiter's `wake` is
  // called once, on the filler's (or its own) thread, so it must hop to its own loop: with the
  // stream when the fill streams (streamFill), else with the outcome.
  // Returns 0 when the caller is the filler; else its waiter id, to leaveFill() if it stops
  // waiting (timeout, client gone) so that it is never woken on a loop that may be gone.
  uint64_t joinFill(const std::string& key, Wake wake);
  void leaveFill(const std::string& key, uint64_t waiter);
  void finishFill(const std::string& key, FillOutcome outcome);
  // The filler stores what it fetches: its waiters follow `stream` from now on (coalesced misses
  // stream), and so do those that join before finishFill().
  void streamFill(const std::string& key, std::shared_ptr<FillStream> stream);
  // A background refresh for `key` may start (no other is running); endRefresh() when done.
  bool beginRefresh(const std::string& key);
  void endRefresh(const std::string& key);
  // Whether the last refresh of `key` failed at the origin: stale copies served meanwhile are
  // stale-if-error, not stale-while-revalidate. A stored response clears it.
  void setOriginFailing(const std::string& key, bool failing);
  bool originFailing(const std::string& key);

  uint64_t bytesUsed() const;
  uint64_t objectCount() const;
  uint64_t capacityBytes() const { return memory_.load(std::memory_order_relaxed); }
  CacheCounters& counters() { return counters_; }
  const CacheCounters& counters() const { return counters_; }

 private:
  CacheShard& shardFor(std::string_view key);
  CacheShard& shardFor(uint64_t key_hash);
  uint64_t bumpEpoch() { return epoch_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  uint64_t bumpBanEpoch() {
    const uint64_t epoch = bumpEpoch();
    ban_epoch_.store(epoch, std::memory_order_release);
    return epoch;
  }

  std::atomic<uint64_t> memory_;
  std::atomic<uint64_t> max_object_;
  size_t removeKey(const std::string& key);
  std::atomic<uint64_t> epoch_{0};
  std::atomic<uint64_t> ban_epoch_{0};  // the epoch of the last ban (prefix or tag)
  std::vector<std::unique_ptr<CacheShard>> shards_;
  CacheCounters counters_;
};

}  // namespace gatehouse::cache
