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

}  // namespace

CacheShard::~CacheShard() {
  while (!small_.empty())
    unlink(*small_.front());
  while (!main_.empty())
    unlink(*main_.front());
}

void CacheShard::setLimits(uint64_t bytes, size_t max_variants) {
  std::lock_guard lock(mu_);
  capacity_ = bytes;
  max_variants_ = max_variants;
}

const CachedObject* CacheShard::findPlainOrMarker(std::string_view key, bool marker) const {
  return index_.find(ObjectIndex::hashKey(key), [&](const CachedObject& o) {
    return o.hit_for_pass == marker && (marker || o.varyFields().empty()) && o.key() == key;
  });
}

const CachedObject* CacheShard::findVariant(std::string_view key, std::string_view vary_key) const {
  return findVariant(key, ObjectIndex::hashKey(key), vary_key);
}

const CachedObject* CacheShard::findVariant(std::string_view key, uint64_t key_hash,
                                            std::string_view vary_key) const {
  const uint64_t hash = ObjectIndex::hashVariant(key_hash, vary_key);
  return index_.find(hash, [&](const CachedObject& o) {
    return !o.hit_for_pass && !o.varyFields().empty() && o.varyKey() == vary_key && o.key() == key;
  });
}

const CachedObject* CacheShard::find(const std::string& key, uint64_t key_hash,
                                     const http::HeaderMap& request_headers) const {
  // One walk of the key's chain finds its plain object (most keys: no Vary, nothing to
  // compute) and notes its marker on the way.
  const CachedObject* marker = nullptr;
  const CachedObject* plain = index_.find(key_hash, [&](const CachedObject& o) {
    if (o.key() != key) return false;
    if (o.hit_for_pass) {
      marker = &o;
      return false;
    }
    return o.varyFields().empty();
  });
  if (plain) return plain;
  if (!groups_.empty()) {
    auto group = groups_.find(key);
    if (group != groups_.end()) {
      const CachedObject* v =
          findVariant(key, key_hash, varyKey(group->second.fields, request_headers));
      if (v) return v;
    }
  }
  return marker;
}

std::shared_ptr<const CachedObject> CacheShard::lookup(const std::string& key, uint64_t key_hash,
                                                       const http::HeaderMap& request_headers,
                                                       int64_t now) {
  std::lock_guard lock(mu_);
  const CachedObject* o = find(key, key_hash, request_headers);
  if (!o) return nullptr;
  if (o->isDead(now)) {
    counters_.expired.fetch_add(1, std::memory_order_relaxed);
    unlink(*o);
    return nullptr;
  }
  if (o->frequency < kMaxFrequency) ++o->frequency;
  return o->links.owner;
}

bool CacheShard::isVariantTooMany(const std::string& key, std::string_view vary_fields,
                                  std::string_view vary_key) const {
  if (vary_fields.empty()) return false;
  auto group = groups_.find(key);
  return group != groups_.end() && group->second.joined == vary_fields &&
         group->second.variants.size() >= max_variants_ && !findVariant(key, vary_key);
}

bool CacheShard::hasRoomFor(const ObjectDraft& o) {
  std::string joined;
  for (const std::string& f : o.vary_fields)
    joined.append(f).push_back('\n');
  std::lock_guard lock(mu_);
  if (!isVariantTooMany(o.key, joined, o.vary_key)) return true;
  counters_.variant_limit.fetch_add(1, std::memory_order_relaxed);
  return false;
}

// Replaced: the same variant (a refresh keeps its hits), and the key's hit-for-pass marker
// once a real response is stored (or the marker alone once a marker is). A marker must not wipe
// the real variants others are served. A real object also drops the variants stored under
// another Vary (the origin changed its mind).
bool CacheShard::collectReplaced(const CachedObject& o,
                                 std::vector<const CachedObject*>& replaced) {
  const std::string_view key = o.key();
  const CachedObject* marker = findPlainOrMarker(key, true);
  if (o.hit_for_pass) {
    if (marker) replaced.push_back(marker);
    return true;
  }
  const std::string key_text(key);
  if (isVariantTooMany(key_text, o.varyFields(), o.varyKey())) {
    counters_.variant_limit.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const CachedObject* plain = findPlainOrMarker(key, false);
  auto group = groups_.find(key_text);
  const bool same_vary =
      group == groups_.end() ? o.varyFields().empty() : group->second.joined == o.varyFields();
  if (same_vary) {
    const CachedObject* same = o.varyFields().empty() ? plain : findVariant(key, o.varyKey());
    if (same) replaced.push_back(same);
  } else {
    if (plain) replaced.push_back(plain);
    if (group != groups_.end())
      replaced.insert(replaced.end(), group->second.variants.begin(), group->second.variants.end());
  }
  if (marker) replaced.push_back(marker);
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
  if (!purged_at_.empty()) {
    auto it = purged_at_.find(std::string(object->key()));
    if (it != purged_at_.end() && it->second > fill_epoch) return false;
  }
  const CachedObject& o = *object;
  std::vector<const CachedObject*> replaced;
  if (!collectReplaced(o, replaced)) return false;
  for (const CachedObject* old : replaced) {
    if (old->varyKey() == o.varyKey()) o.frequency = old->frequency;
    unlink(*old);
  }
  link(std::move(object));
  evictUntilWithin();
  return true;
}

void CacheShard::link(std::shared_ptr<const CachedObject> object) {
  const CachedObject& o = *object;
  o.links.owner = std::move(object);
  index_.insert(o);
  if (!o.hit_for_pass && !o.varyFields().empty()) {
    auto [group, fresh] = groups_.try_emplace(std::string(o.key()));
    if (fresh) {
      group->second.joined = o.varyFields();
      std::string_view rest = o.varyFields();
      while (!rest.empty()) {
        const size_t end = rest.find('\n');
        group->second.fields.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end + 1);
      }
    }
    group->second.variants.push_back(&o);
  }
  bytes_ += o.charge;
  ++objects_;
  if (ghost_.erase(ObjectIndex::hashOf(o)) > 0) {
    o.in_main = true;
    main_.pushBack(o);
  } else {
    o.in_main = false;
    small_bytes_ += o.charge;
    small_.pushBack(o);
  }
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

void CacheShard::unlink(const CachedObject& o) {
  if (!o.links.owner) return;
  bytes_ -= o.charge;
  --objects_;
  if (o.in_main) {
    main_.remove(o);
  } else {
    small_bytes_ -= o.charge;
    small_.remove(o);
  }
  index_.erase(o);
  if (!o.hit_for_pass && !o.varyFields().empty()) {
    auto group = groups_.find(std::string(o.key()));
    if (group != groups_.end()) {
      std::erase(group->second.variants, &o);
      if (group->second.variants.empty()) groups_.erase(group);
    }
  }
  // The store's reference goes last: the object may be freed here (unless being sent).
  std::shared_ptr<const CachedObject> dropped = std::move(o.links.owner);
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
  const CachedObject& o = *small_.front();
  if (o.frequency > 1) {
    // Hit again while young: worth keeping.
    small_.remove(o);
    small_bytes_ -= o.charge;
    o.in_main = true;
    o.frequency = 0;
    main_.pushBack(o);
    return;
  }
  rememberGhost(ObjectIndex::hashOf(o));
  counters_.evicted.fetch_add(1, std::memory_order_relaxed);
  unlink(o);
}

void CacheShard::evictFromMain() {
  const CachedObject& o = *main_.front();
  if (o.frequency > 0) {
    --o.frequency;
    main_.remove(o);
    main_.pushBack(o);
    return;
  }
  counters_.evicted.fetch_add(1, std::memory_order_relaxed);
  unlink(o);
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
  auto visit = [&](const CachedObject& o) {
    if (out.size() >= limit || !match(o.key())) return;
    if (std::find(out.begin(), out.end(), o.key()) == out.end()) out.emplace_back(o.key());
  };
  small_.forEach(visit);
  main_.forEach(visit);
}

size_t CacheShard::remove(const std::string* key,
                          const std::function<bool(const CachedObject&)>& match, uint64_t epoch) {
  std::lock_guard lock(mu_);
  if (key) notePurge(*key, epoch);
  std::vector<const CachedObject*> doomed;
  auto collect = [&](const CachedObject* o) {
    if (o && match(*o)) doomed.push_back(o);
  };
  if (key) {
    collect(findPlainOrMarker(*key, false));
    collect(findPlainOrMarker(*key, true));
    if (auto group = groups_.find(*key); group != groups_.end())
      for (const CachedObject* v : group->second.variants)
        collect(v);
  } else {
    small_.forEach([&](const CachedObject& o) { collect(&o); });
    main_.forEach([&](const CachedObject& o) { collect(&o); });
  }
  for (const CachedObject* o : doomed)
    unlink(*o);
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
