#pragma once
// One shard of the CacheStore: an index from primary key to variants, the S3-FIFO queues
// (cache_store.h says why), and the waiting lists of fills in progress. Every method takes the
// shard's mutex for a short, allocation-light critical section; callbacks run after it is
// released.

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

namespace gatehouse::cache {

// What a waiter is told when the fill it waited for ends.
enum class FillOutcome {
  Stored,     // look up again: the object is there
  NotStored,  // the response was not storable: fetch for yourself
};
using Wake = std::function<void(FillOutcome)>;

class CacheShard {
 public:
  explicit CacheShard(CacheCounters& counters) : counters_(counters) {}

  void setCapacity(uint64_t bytes);
  std::shared_ptr<const CachedObject> lookup(const std::string& key,
                                             const http::HeaderMap& request_headers, int64_t now);
  void insert(std::shared_ptr<const CachedObject> object);
  // Removes the objects for which `match` is true among those of `key` (or all keys when
  // key is null); returns how many.
  size_t remove(const std::string* key, const std::function<bool(const CachedObject&)>& match);

  bool joinFill(const std::string& key, Wake wake);
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

  static uint64_t hashOf(const CachedObject& o);

  CacheCounters& counters_;
  mutable std::mutex mu_;
  uint64_t capacity_ = 0;
  uint64_t bytes_ = 0;
  uint64_t small_bytes_ = 0;
  uint64_t objects_ = 0;
  std::unordered_map<std::string, std::vector<SlotPtr>> index_;
  std::deque<SlotPtr> small_;
  std::deque<SlotPtr> main_;
  std::deque<uint64_t> ghost_order_;
  std::unordered_set<uint64_t> ghost_;
  std::unordered_map<std::string, std::vector<Wake>> fills_;
  std::unordered_set<std::string> refreshing_;
  std::unordered_set<std::string> failing_;  // keys whose last refresh the origin failed
};

}  // namespace gatehouse::cache
