#pragma once
// One shard of the CacheStore: an index of the objects by primary key (and a Vary'd variant by its
// secondary key too, so a lookup is at most two hash probes whatever the number of variants),
// the S3-FIFO queues (cache_store.h says why), both as links inside the objects, and the waiting
// lists of fills in progress. Every method takes the
// shard's mutex for a short, allocation-light critical section; callbacks run after it is
// released.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cache/cache_counters.h"
#include "cache/cached_object.h"
#include "cache/fill_stream.h"
#include "cache/object_index.h"

namespace gatehouse::cache {

// What a waiter is told when the fill it waited for ends.
enum class FillOutcome {
  Stored,     // look up again: the object is there
  NotStored,  // the response was not storable: fetch for yourself
  Streaming,  // the response is being stored: follow its body as it arrives (the stream given)
};
// Called once per waiter: with Streaming and the fill's stream as soon as the fill knows it is
// storing (or at once for a waiter that comes after), else with how the fill ended.
using Wake = std::function<void(FillOutcome, std::shared_ptr<FillStream>)>;

class CacheShard {
 public:
  explicit CacheShard(CacheCounters& counters) : counters_(counters) {}
  ~CacheShard();  // drops the store's references (objects being sent live on)
  CacheShard(const CacheShard&) = delete;
  CacheShard& operator=(const CacheShard&) = delete;

  // Whether insert() would take `o` as far as max_variants goes (false is counted): asked when
  // a fill starts, so that a variant too many passes without its body being copied.
  bool hasRoomFor(const ObjectDraft& o);
  // `max_variants`: real variants kept per primary key (cache.max_variants).
  void setLimits(uint64_t bytes, size_t max_variants);
  // `key_hash`: ObjectIndex::hashKey(key), which the store computed to pick the shard.
  std::shared_ptr<const CachedObject> lookup(const std::string& key, uint64_t key_hash,
                                             const http::HeaderMap& request_headers, int64_t now);
  // Refused (false) when the object's key was purged, or anything banned, after `fill_epoch`
  // (the store's epoch when the fill began); `ban_epoch` is read under the shard's lock so that
  // a ban racing this insert either removes the object or makes the insert refuse it. Refused
  // too (and counted) when it would be one variant more than max_variants.
  bool insert(std::shared_ptr<const CachedObject> object, uint64_t fill_epoch,
              const std::atomic<uint64_t>& ban_epoch);
  // Removes the objects for which `match` is true among those of `key` (or all keys when
  // key is null); returns how many. A removal by key records `epoch` as its purge time.
  // Up to `limit` primary keys for which `match` is true (a purge's "did you mean").
  void findKeys(const std::function<bool(std::string_view)>& match, size_t limit,
                std::vector<std::string>& out);
  size_t remove(const std::string* key, const std::function<bool(const CachedObject&)>& match,
                uint64_t epoch);

  // 0: the caller is the filler; otherwise its waiter id, for leaveFill().
  uint64_t joinFill(const std::string& key, Wake wake);
  // A waiter that gave up or went away: it must never be woken (its loop may be gone).
  void leaveFill(const std::string& key, uint64_t waiter);
  // The fill of `key` streams: its waiters so far are returned (to be woken with it, and off the
  // list), and those that join later are woken with it at once.
  std::vector<Wake> streamFill(const std::string& key, std::shared_ptr<FillStream> stream);
  std::vector<Wake> takeWaiters(const std::string& key);
  bool beginRefresh(const std::string& key);
  void endRefresh(const std::string& key);
  void setOriginFailing(const std::string& key, bool failing);
  bool originFailing(const std::string& key) const;

  uint64_t bytesUsed() const;
  uint64_t objectCount() const;

 private:
  // The field names of a key whose stored variants are Vary'd (all under the one Vary the origin
  // last gave: a real object under another Vary replaces them), and the variants, for a purge.
  // Keys without Vary (most) have none: their object is found by the key alone.
  struct VaryGroup {
    std::vector<std::string> fields;
    std::string joined;  // as CachedObject::varyFields() has them
    std::vector<const CachedObject*> variants;
  };

  // The object that answers `request_headers` for `key`: its plain (un-Vary'd) object, else the
  // variant of its Vary'd fields, else its hit-for-pass marker; or null.
  const CachedObject* find(const std::string& key, uint64_t key_hash,
                           const http::HeaderMap& request_headers) const;
  const CachedObject* findPlainOrMarker(std::string_view key, bool marker) const;
  const CachedObject* findVariant(std::string_view key, std::string_view vary_key) const;
  const CachedObject* findVariant(std::string_view key, uint64_t key_hash,
                                  std::string_view vary_key) const;
  // The objects a new `o` replaces; false when it may not go in at all (max_variants).
  bool collectReplaced(const CachedObject& o, std::vector<const CachedObject*>& replaced);
  // An object with these Vary'd fields and secondary key would be a variant more than
  // max_variants for `key`.
  bool isVariantTooMany(const std::string& key, std::string_view vary_fields,
                        std::string_view vary_key) const;
  void link(std::shared_ptr<const CachedObject> object);  // index, group, queue; with mu_ held
  void unlink(const CachedObject& o);  // index removal and accounting; with mu_ held
  void evictUntilWithin();             // with mu_ held
  void evictFromSmall();
  void evictFromMain();
  void rememberGhost(uint64_t hash);
  void notePurge(const std::string& key, uint64_t epoch);

  CacheCounters& counters_;
  mutable std::mutex mu_;
  uint64_t capacity_ = 0;
  size_t max_variants_ = 32;
  uint64_t bytes_ = 0;
  uint64_t small_bytes_ = 0;
  uint64_t objects_ = 0;
  ObjectIndex index_;
  std::unordered_map<std::string, VaryGroup> groups_;
  ObjectQueue small_;
  ObjectQueue main_;
  std::deque<uint64_t> ghost_order_;
  std::unordered_set<uint64_t> ghost_;
  // Purge times of recently purged keys, bounded: the oldest forgotten raises purge_floor_,
  // and a fill that began before the floor is refused (conservative, never wrong).
  std::unordered_map<std::string, uint64_t> purged_at_;
  std::deque<std::pair<std::string, uint64_t>> purge_order_;
  uint64_t purge_floor_ = 0;
  struct Fill {
    std::vector<std::pair<uint64_t, Wake>> waiters;
    std::shared_ptr<FillStream> stream;  // once the fill streams
  };
  std::unordered_map<std::string, Fill> fills_;
  uint64_t next_waiter_ = 1;
  std::unordered_set<std::string> refreshing_;
  std::unordered_set<std::string> failing_;  // keys whose last refresh the origin failed
};

}  // namespace gatehouse::cache
