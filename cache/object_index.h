#pragma once
// The shard's index and queues, as links inside the objects (StoreLinks) rather than nodes of
// their own: storing an object allocates nothing but a share of the bucket array (issue 15:
// memory per object). Neither locks nor owns anything: the shard does both, under its mutex.

#include <cstdint>
#include <string_view>
#include <vector>

#include "cache/cached_object.h"

namespace gatehouse::cache {

// A hash table of objects chained through StoreLinks::chain_next. An object is hashed by its
// primary key, and a Vary'd variant by its primary and secondary keys together, so that a lookup
// goes straight to the variant (CacheShard keeps each Vary'd key's field names beside).
class ObjectIndex {
 public:
  static uint64_t hashKey(std::string_view key);
  static uint64_t hashVariant(uint64_t key_hash, std::string_view vary_key);
  static uint64_t hashOf(const CachedObject& o);  // where `o` is filed

  void insert(const CachedObject& o);
  void erase(const CachedObject& o);
  size_t size() const { return size_; }

  // The first object filed under `hash` for which `match` is true, or null.
  template <typename Match>
  const CachedObject* find(uint64_t hash, Match&& match) const {
    if (buckets_.empty()) return nullptr;
    for (const CachedObject* o = buckets_[hash & (buckets_.size() - 1)]; o;
         o = o->links.chain_next) {
      if (match(*o)) return o;
    }
    return nullptr;
  }

 private:
  void grow();

  std::vector<const CachedObject*> buckets_;  // a power of two; at most one object per bucket
  size_t size_ = 0;
};

// A FIFO of objects linked through StoreLinks::queue_prev/queue_next: S3-FIFO's small and main
// queues, with removal from the middle (a purge) in constant time.
class ObjectQueue {
 public:
  bool empty() const { return head_ == nullptr; }
  const CachedObject* front() const { return head_; }
  void pushBack(const CachedObject& o);
  void remove(const CachedObject& o);
  template <typename F>
  void forEach(F&& f) const {
    for (const CachedObject* o = head_; o;) {
      const CachedObject* next = o->links.queue_next;  // f may unlink o
      f(*o);
      o = next;
    }
  }

 private:
  const CachedObject* head_ = nullptr;
  const CachedObject* tail_ = nullptr;
};

}  // namespace gatehouse::cache
