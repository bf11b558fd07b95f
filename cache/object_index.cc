#include "cache/object_index.h"

#include <functional>

namespace gatehouse::cache {
namespace {

constexpr size_t kFirstBuckets = 64;

}  // namespace

uint64_t ObjectIndex::hashKey(std::string_view key) {
  return std::hash<std::string_view>{}(key);
}

uint64_t ObjectIndex::hashVariant(uint64_t key_hash, std::string_view vary_key) {
  const uint64_t v = std::hash<std::string_view>{}(vary_key);
  return key_hash ^ (v + 0x9e3779b97f4a7c15ULL + (key_hash << 6) + (key_hash >> 2));
}

uint64_t ObjectIndex::hashOf(const CachedObject& o) {
  const uint64_t h = hashKey(o.key());
  return o.hit_for_pass || o.varyFields().empty() ? h : hashVariant(h, o.varyKey());
}

void ObjectIndex::insert(const CachedObject& o) {
  if (size_ + 1 > buckets_.size()) grow();
  const CachedObject*& head = buckets_[hashOf(o) & (buckets_.size() - 1)];
  o.links.chain_next = head;
  head = &o;
  ++size_;
}

void ObjectIndex::erase(const CachedObject& o) {
  if (buckets_.empty()) return;
  const CachedObject** at = &buckets_[hashOf(o) & (buckets_.size() - 1)];
  while (*at && *at != &o)
    at = &(*at)->links.chain_next;
  if (!*at) return;
  *at = o.links.chain_next;
  o.links.chain_next = nullptr;
  --size_;
}

void ObjectIndex::grow() {
  std::vector<const CachedObject*> old = std::move(buckets_);
  buckets_.assign(old.empty() ? kFirstBuckets : old.size() * 2, nullptr);
  const size_t mask = buckets_.size() - 1;
  for (const CachedObject* head : old) {
    for (const CachedObject* o = head; o;) {
      const CachedObject* next = o->links.chain_next;
      const CachedObject*& slot = buckets_[hashOf(*o) & mask];
      o->links.chain_next = slot;
      slot = o;
      o = next;
    }
  }
}

void ObjectQueue::pushBack(const CachedObject& o) {
  o.links.queue_prev = tail_;
  o.links.queue_next = nullptr;
  if (tail_)
    tail_->links.queue_next = &o;
  else
    head_ = &o;
  tail_ = &o;
}

void ObjectQueue::remove(const CachedObject& o) {
  if (o.links.queue_prev)
    o.links.queue_prev->links.queue_next = o.links.queue_next;
  else if (head_ == &o)
    head_ = o.links.queue_next;
  if (o.links.queue_next)
    o.links.queue_next->links.queue_prev = o.links.queue_prev;
  else if (tail_ == &o)
    tail_ = o.links.queue_prev;
  o.links.queue_prev = nullptr;
  o.links.queue_next = nullptr;
}

}  // namespace gatehouse::cache
