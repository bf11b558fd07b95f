#pragma once
// One shard of the CacheStore: an index from primary key to its variants (a hash of their Vary
// keys, so a lookup is two hash probes whatever the number of variants), the S3-FIFO queues
// (cache_store.h says why), and the waiting lists of fills in progress. Every method takes the
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

  // Whether insert() would take `o` as far as max_variants goes (false is counted): asked when
  // a fill starts, so that a variant too many passes without its body being copied.
  bool hasRoomFor(const CachedObject& o);
  // `max_variants`: real variants kept per primary key (cache.max_variants).
  void setLimits(uint64_t bytes, size_t max_variants);
  std::shared_ptr<const CachedObject> lookup(const std::string& key,
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
  // An object's place in the queues. The index and the queues share slots; a slot removed
  // from the index (purged, replaced) is marked dead and skipped when its queue reaches it.
  struct Slot {
    std::shared_ptr<const CachedObject> object;
    uint8_t frequency = 0;  // hits while queued, capped at 3
    bool live = true;
    bool in_main = false;
  };
  using SlotPtr = std::shared_ptr<Slot>;

  void evictUntilWithin();  // with mu_ held
  void evictFromSmall();
  void evictFromMain();
  void unlink(Slot& slot);  // index removal and accounting; with mu_ held
  void rememberGhost(uint64_t hash);
  void notePurge(const std::string& key, uint64_t epoch);
  void compactQueues();

  // The objects of one primary key: its real variants, all under the one Vary the origin last
  // gave (a real object under another Vary replaces them), and its hit-for-pass marker, if any.
  // Without Vary (most keys) the one variant sits in `plain` and costs no map; with Vary the
  // variants are hashed by secondary key. A lookup tries the variants, then the marker.
  struct Variants {
    std::vector<std::string> vary_fields;
    SlotPtr plain;  // the variant when vary_fields is empty
    std::unique_ptr<std::unordered_map<std::string, SlotPtr>> by_vary_key;  // otherwise
    SlotPtr hit_for_pass;

    size_t realCount() const;
    bool empty() const { return realCount() == 0 && !hit_for_pass; }
    // Where the real variant with this secondary key is held, or null.
    SlotPtr* real(const std::string& vary_key);
    void add(const SlotPtr& slot);  // a real variant under vary_fields
    void drop(const Slot& slot);    // whichever place holds it
    template <typename F>
    void forEach(F&& f) const;  // every slot, real ones first
  };
  // The slot that answers `request_headers`, or null.
  Slot* find(Variants& variants, const http::HeaderMap& request_headers) const;
  // The slots a new `o` replaces; false when it may not go in at all (max_variants).
  bool collectReplaced(Variants& variants, const CachedObject& o, std::vector<SlotPtr>& replaced);
  // `o` would be a variant more than max_variants under the key's Vary.
  bool isVariantTooMany(Variants& variants, const CachedObject& o) const;

  static uint64_t hashOf(const CachedObject& o);

  CacheCounters& counters_;
  mutable std::mutex mu_;
  uint64_t capacity_ = 0;
  size_t max_variants_ = 32;
  uint64_t bytes_ = 0;
  uint64_t small_bytes_ = 0;
  uint64_t objects_ = 0;
  std::unordered_map<std::string, Variants> index_;
  std::deque<SlotPtr> small_;
  std::deque<SlotPtr> main_;
  std::deque<uint64_t> ghost_order_;
  std::unordered_set<uint64_t> ghost_;
  uint64_t dead_queued_ = 0;  // unlinked slots still in small_/main_, dropped lazily
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
