#include "cache/cache_shard.h"

#include <algorithm>

#include "cache/cache_key.h"

namespace gatehouse::cache {
namespace {

constexpr uint8_t kMaxFrequency = 3;
// The small FIFO's share of the bytes, in percent (S3-FIFO's 10%).
constexpr uint64_t kSmallPercent = 10;
// Ghost entries are key hashes only: remember about as many as main could hold of 1 KiB
// objects would cost little, but a fixed bound keeps it simple and bounded.
constexpr size_t kMaxGhosts = 65536;
// Purge times remembered per shard; older ones only raise the floor.
constexpr size_t kMaxPurgesRemembered = 4096;
// Dead slots tolerated in the queues beyond the live ones before a compaction.
constexpr uint64_t kDeadSlack = 4096;

}  // namespace

uint64_t CacheShard::hashOf(const CachedObject& o) {
  return std::hash<std::string>{}(o.key) ^ (std::hash<std::string>{}(o.vary_key) * 31);
}

void CacheShard::setLimits(uint64_t bytes, size_t max_variants) {
  std::lock_guard lock(mu_);
  capacity_ = bytes;
  max_variants_ = max_variants;
}

size_t CacheShard::Variants::realCount() const {
  if (plain) return 1;
  return by_vary_key ? by_vary_key->size() : 0;
}

CacheShard::SlotPtr* CacheShard::Variants::real(const std::string& vary_key) {
  if (vary_fields.empty()) return plain ? &plain : nullptr;
  if (!by_vary_key) return nullptr;
  auto found = by_vary_key->find(vary_key);
  return found == by_vary_key->end() ? nullptr : &found->second;
}

void CacheShard::Variants::add(const SlotPtr& slot) {
  if (vary_fields.empty()) {
    plain = slot;
    return;
  }
  if (!by_vary_key) by_vary_key = std::make_unique<std::unordered_map<std::string, SlotPtr>>();
  (*by_vary_key)[slot->object->vary_key] = slot;
}

void CacheShard::Variants::drop(const Slot& slot) {
  if (hit_for_pass.get() == &slot) {
    hit_for_pass.reset();
  } else if (plain.get() == &slot) {
    plain.reset();
  } else if (by_vary_key) {
    auto found = by_vary_key->find(slot.object->vary_key);
    if (found != by_vary_key->end() && found->second.get() == &slot) by_vary_key->erase(found);
    if (by_vary_key->empty()) by_vary_key.reset();
  }
}

template <typename F>
void CacheShard::Variants::forEach(F&& f) const {
  if (plain) f(plain);
  if (by_vary_key)
    for (const auto& [vary_key, slot] : *by_vary_key)
      f(slot);
  if (hit_for_pass) f(hit_for_pass);
}

CacheShard::Slot* CacheShard::find(Variants& variants,
                                   const http::HeaderMap& request_headers) const {
  if (variants.plain) return variants.plain.get();  // no Vary: no key to compute
  if (variants.by_vary_key) {                       // never empty
    auto found = variants.by_vary_key->find(varyKey(variants.vary_fields, request_headers));
    if (found != variants.by_vary_key->end()) return found->second.get();
  }
  return variants.hit_for_pass.get();
}

std::shared_ptr<const CachedObject> CacheShard::lookup(const std::string& key,
                                                       const http::HeaderMap& request_headers,
                                                       int64_t now) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  Slot* slot = find(it->second, request_headers);
  if (!slot) return nullptr;
  if (slot->object->isDead(now)) {
    counters_.expired.fetch_add(1, std::memory_order_relaxed);
    unlink(*slot);  // may erase `it`
    return nullptr;
  }
  if (slot->frequency < kMaxFrequency) ++slot->frequency;
  return slot->object;
}

bool CacheShard::isVariantTooMany(Variants& variants, const CachedObject& o) const {
  return !o.hit_for_pass && variants.vary_fields == o.vary_fields && !variants.real(o.vary_key) &&
         variants.realCount() >= max_variants_;
}

bool CacheShard::hasRoomFor(const CachedObject& o) {
  std::lock_guard lock(mu_);
  auto it = index_.find(o.key);
  if (it == index_.end() || !isVariantTooMany(it->second, o)) return true;
  counters_.variant_limit.fetch_add(1, std::memory_order_relaxed);
  return false;
}

// Replaced: the same variant (a refresh keeps its hits), and the key's hit-for-pass marker
// once a real response is stored (or the marker alone once a marker is). A marker must not wipe
// the real variants others are served. A real object also drops the variants stored under
// another Vary (the origin changed its mind).
bool CacheShard::collectReplaced(Variants& variants, const CachedObject& o,
                                 std::vector<SlotPtr>& replaced) {
  if (o.hit_for_pass) {
    if (variants.hit_for_pass) replaced.push_back(variants.hit_for_pass);
    return true;
  }
  if (isVariantTooMany(variants, o)) {
    counters_.variant_limit.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const bool same_vary = variants.vary_fields == o.vary_fields;
  SlotPtr* same = same_vary ? variants.real(o.vary_key) : nullptr;
  if (same) {
    replaced.push_back(*same);
  } else if (!same_vary) {
    variants.forEach([&](const SlotPtr& slot) {
      if (!slot->object->hit_for_pass) replaced.push_back(slot);
    });
  }
  if (variants.hit_for_pass) replaced.push_back(variants.hit_for_pass);
  return true;
}

bool CacheShard::insert(std::shared_ptr<const CachedObject> object, uint64_t fill_epoch,
                        const std::atomic<uint64_t>& ban_epoch) {
  std::lock_guard lock(mu_);
  if (fill_epoch < purge_floor_ || ban_epoch.load(std::memory_order_acquire) > fill_epoch)
    return false;
  // Bigger than the whole shard (its head and key on top of a body at the size limit): storing
  // it would evict every other object here, then itself.
  if (object->charge > capacity_) return false;
  if (auto it = purged_at_.find(object->key); it != purged_at_.end() && it->second > fill_epoch)
    return false;
  std::vector<SlotPtr> replaced;
  if (auto it = index_.find(object->key);
      it != index_.end() && !collectReplaced(it->second, *object, replaced))
    return false;
  auto slot = std::make_shared<Slot>();
  slot->object = std::move(object);
  const CachedObject& o = *slot->object;
  for (const SlotPtr& old : replaced) {
    if (old->object->vary_key == o.vary_key) slot->frequency = old->frequency;
    unlink(*old);
  }
  Variants& variants = index_[o.key];  // unlink may have erased the entry
  if (o.hit_for_pass) {
    variants.hit_for_pass = slot;
  } else {
    if (variants.realCount() == 0) variants.vary_fields = o.vary_fields;
    variants.add(slot);
  }
  bytes_ += o.charge;
  ++objects_;
  const uint64_t hash = hashOf(o);
  if (ghost_.erase(hash) > 0) {
    slot->in_main = true;
    main_.push_back(slot);
  } else {
    small_bytes_ += o.charge;
    small_.push_back(slot);
  }
  evictUntilWithin();
  if (dead_queued_ > objects_ + kDeadSlack) compactQueues();
  return true;
}

void CacheShard::compactQueues() {
  auto dead = [](const SlotPtr& s) { return !s->live; };
  std::erase_if(small_, dead);
  std::erase_if(main_, dead);
  dead_queued_ = 0;
}

void CacheShard::notePurge(const std::string& key, uint64_t epoch) {
  const bool fresh = purged_at_.insert_or_assign(key, epoch).second;
  if (fresh) purge_order_.emplace_back(key, epoch);
  while (purge_order_.size() > kMaxPurgesRemembered) {
    auto& [old_key, old_epoch] = purge_order_.front();
    purge_floor_ = std::max(purge_floor_, old_epoch);
    auto found = purged_at_.find(old_key);
    if (found != purged_at_.end() && found->second <= old_epoch) purged_at_.erase(found);
    purge_order_.pop_front();
  }
}

void CacheShard::unlink(Slot& slot) {
  if (!slot.live) return;
  slot.live = false;
  const CachedObject& o = *slot.object;
  bytes_ -= o.charge;
  --objects_;
  if (!slot.in_main) small_bytes_ -= o.charge;
  ++dead_queued_;
  auto it = index_.find(o.key);
  if (it != index_.end()) {
    it->second.drop(slot);
    if (it->second.empty()) index_.erase(it);
  }
  // The queue keeps the slot until it gets there; the object (and its body) go now.
  slot.object.reset();
}

void CacheShard::evictUntilWithin() {
  while (bytes_ > capacity_ && (!small_.empty() || !main_.empty())) {
    if (!small_.empty() && (small_bytes_ * 100 >= capacity_ * kSmallPercent || main_.empty()))
      evictFromSmall();
    else
      evictFromMain();
  }
}

void CacheShard::evictFromSmall() {
  SlotPtr slot = std::move(small_.front());
  small_.pop_front();
  if (!slot->live) {
    if (dead_queued_ > 0) --dead_queued_;
    return;
  }
  if (slot->frequency > 1) {
    // Hit again while young: worth keeping.
    small_bytes_ -= slot->object->charge;
    slot->in_main = true;
    slot->frequency = 0;
    main_.push_back(std::move(slot));
    return;
  }
  rememberGhost(hashOf(*slot->object));
  counters_.evicted.fetch_add(1, std::memory_order_relaxed);
  unlink(*slot);
}

void CacheShard::evictFromMain() {
  SlotPtr slot = std::move(main_.front());
  main_.pop_front();
  if (!slot->live) {
    if (dead_queued_ > 0) --dead_queued_;
    return;
  }
  if (slot->frequency > 0) {
    --slot->frequency;
    main_.push_back(std::move(slot));
    return;
  }
  counters_.evicted.fetch_add(1, std::memory_order_relaxed);
  unlink(*slot);
}

void CacheShard::rememberGhost(uint64_t hash) {
  if (!ghost_.insert(hash).second) return;
  ghost_order_.push_back(hash);
  while (ghost_order_.size() > kMaxGhosts) {
    ghost_.erase(ghost_order_.front());
    ghost_order_.pop_front();
  }
}

void CacheShard::findKeys(const std::function<bool(std::string_view)>& match, size_t limit,
                          std::vector<std::string>& out) {
  std::lock_guard lock(mu_);
  for (const auto& entry : index_) {
    if (out.size() >= limit) return;
    if (match(entry.first)) out.push_back(entry.first);
  }
}

size_t CacheShard::remove(const std::string* key,
                          const std::function<bool(const CachedObject&)>& match, uint64_t epoch) {
  std::lock_guard lock(mu_);
  if (key) notePurge(*key, epoch);
  std::vector<SlotPtr> doomed;
  auto collect = [&](const Variants& variants) {
    variants.forEach([&](const SlotPtr& slot) {
      if (match(*slot->object)) doomed.push_back(slot);
    });
  };
  if (key) {
    auto it = index_.find(*key);
    if (it != index_.end()) collect(it->second);
  } else {
    for (const auto& [k, variants] : index_)
      collect(variants);
  }
  for (const SlotPtr& slot : doomed)
    unlink(*slot);
  return doomed.size();
}

uint64_t CacheShard::joinFill(const std::string& key, Wake wake) {
  std::unique_lock lock(mu_);
  auto [it, first] = fills_.try_emplace(key);
  if (first) return 0;
  const uint64_t id = next_waiter_++;
  if (std::shared_ptr<FillStream> stream = it->second.stream) {
    // Already streaming: follow it now (never on the list, so leaveFill() finds nothing).
    lock.unlock();
    wake(FillOutcome::Streaming, std::move(stream));
    return id;
  }
  it->second.waiters.emplace_back(id, std::move(wake));
  return id;
}

void CacheShard::leaveFill(const std::string& key, uint64_t waiter) {
  std::lock_guard lock(mu_);
  auto it = fills_.find(key);
  if (it == fills_.end()) return;
  std::erase_if(it->second.waiters, [waiter](const auto& w) { return w.first == waiter; });
}

std::vector<Wake> CacheShard::streamFill(const std::string& key,
                                         std::shared_ptr<FillStream> stream) {
  std::lock_guard lock(mu_);
  auto it = fills_.find(key);
  if (it == fills_.end()) return {};
  it->second.stream = std::move(stream);
  std::vector<Wake> waiters;
  waiters.reserve(it->second.waiters.size());
  for (auto& [id, wake] : it->second.waiters)
    waiters.push_back(std::move(wake));
  it->second.waiters.clear();
  return waiters;
}

std::vector<Wake> CacheShard::takeWaiters(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = fills_.find(key);
  if (it == fills_.end()) return {};
  std::vector<Wake> waiters;
  waiters.reserve(it->second.waiters.size());
  for (auto& [id, wake] : it->second.waiters)
    waiters.push_back(std::move(wake));
  fills_.erase(it);
  return waiters;
}

bool CacheShard::beginRefresh(const std::string& key) {
  std::lock_guard lock(mu_);
  return refreshing_.insert(key).second;
}

void CacheShard::endRefresh(const std::string& key) {
  std::lock_guard lock(mu_);
  refreshing_.erase(key);
}

void CacheShard::setOriginFailing(const std::string& key, bool failing) {
  std::lock_guard lock(mu_);
  if (failing)
    failing_.insert(key);
  else
    failing_.erase(key);
}

bool CacheShard::originFailing(const std::string& key) const {
  std::lock_guard lock(mu_);
  return failing_.count(key) > 0;
}

uint64_t CacheShard::bytesUsed() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

uint64_t CacheShard::objectCount() const {
  std::lock_guard lock(mu_);
  return objects_;
}

}  // namespace gatehouse::cache
