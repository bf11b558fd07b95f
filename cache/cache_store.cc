#include "cache/cache_store.h"

#include <algorithm>

#include "cache/cache_key.h"

namespace gatehouse::cache {

namespace {

// A shard holds 1/kShards of the memory: a larger object would push out everything else in its
// shard and then itself. So the largest object stored is the smaller of max_object and a shard's
// share (the config allows max_object up to 1/8 of memory; docs/INTERFACE.md says so).
uint64_t effectiveMaxObject(uint64_t memory_bytes, uint64_t max_object_bytes) {
  return std::min(max_object_bytes, memory_bytes / CacheStore::kShards);
}

}  // namespace

CacheStore::CacheStore(uint64_t memory_bytes, uint64_t max_object_bytes, size_t max_variants)
    : memory_(memory_bytes), max_object_(effectiveMaxObject(memory_bytes, max_object_bytes)) {
  shards_.reserve(kShards);
  for (size_t i = 0; i < kShards; ++i) {
    shards_.push_back(std::make_unique<CacheShard>(counters_));
    shards_.back()->setLimits(memory_bytes / kShards, max_variants);
  }
}

CacheStore::~CacheStore() = default;

void CacheStore::setLimits(uint64_t memory_bytes, uint64_t max_object_bytes, size_t max_variants) {
  memory_.store(memory_bytes, std::memory_order_relaxed);
  max_object_.store(effectiveMaxObject(memory_bytes, max_object_bytes), std::memory_order_relaxed);
  for (auto& shard : shards_)
    shard->setLimits(memory_bytes / kShards, max_variants);
}

// The shard from the hash's top bits: its low bits pick the bucket in the shard's index, so the
// one hash of a lookup serves both.
CacheShard& CacheStore::shardFor(uint64_t key_hash) {
  return *shards_[key_hash >> 60];
}

CacheShard& CacheStore::shardFor(std::string_view key) {
  return shardFor(ObjectIndex::hashKey(key));
}

std::shared_ptr<const CachedObject> CacheStore::lookup(const std::string& key,
                                                       const http::HeaderMap& request_headers,
                                                       int64_t now) {
  const uint64_t hash = ObjectIndex::hashKey(key);
  return shardFor(hash).lookup(key, hash, request_headers, now);
}

bool CacheStore::insert(std::shared_ptr<const CachedObject> object, uint64_t epoch) {
  if (object->body().size() > maxObjectBytes()) return false;
  CacheShard& shard = shardFor(object->key());
  const std::string key(object->key());
  const bool real = !object->hit_for_pass;
  // Purge times are checked per key under the shard's lock, where purges record them: a purge
  // of this URL since the fill began refuses it, a purge of another URL does not.
  if (!shard.insert(std::move(object), epoch, ban_epoch_)) return false;
  if (real) {
    shard.setOriginFailing(key, false);
    counters_.stored.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

size_t CacheStore::purge(const std::string& key) {
  counters_.purges.fetch_add(1, std::memory_order_relaxed);
  return removeKey(key);
}

size_t CacheStore::invalidate(const std::string& key) {
  return removeKey(key);
}

size_t CacheStore::removeKey(const std::string& key) {
  const uint64_t epoch = bumpEpoch();
  size_t n = shardFor(key).remove(
      &key, [](const CachedObject&) { return true; }, epoch);
  counters_.purged.fetch_add(n, std::memory_order_relaxed);
  return n;
}

size_t CacheStore::endReadOnly() {
  const uint64_t epoch = bumpBanEpoch();
  counters_.read_only_ends.fetch_add(1, std::memory_order_relaxed);
  size_t n = 0;
  for (auto& shard : shards_)
    n += shard->remove(
        nullptr, [](const CachedObject& o) { return o.read_only_extended; }, epoch);
  counters_.purged.fetch_add(n, std::memory_order_relaxed);
  return n;
}

size_t CacheStore::banPathPrefix(std::string_view prefix) {
  const uint64_t epoch = bumpBanEpoch();
  counters_.bans.fetch_add(1, std::memory_order_relaxed);
  size_t n = 0;
  for (auto& shard : shards_)
    n += shard->remove(
        nullptr, [&](const CachedObject& o) { return keyPath(o.key()).starts_with(prefix); },
        epoch);
  counters_.purged.fetch_add(n, std::memory_order_relaxed);
  return n;
}

std::vector<std::string> CacheStore::keysWithPath(std::string_view path, size_t limit) {
  std::vector<std::string> out;
  for (auto& shard : shards_)
    shard->findKeys([&](std::string_view key) { return keyPath(key) == path; }, limit, out);
  return out;
}

size_t CacheStore::banTag(std::string_view tag) {
  const uint64_t epoch = bumpBanEpoch();
  counters_.bans.fetch_add(1, std::memory_order_relaxed);
  size_t n = 0;
  for (auto& shard : shards_) {
    n += shard->remove(
        nullptr, [&](const CachedObject& o) { return o.hasTag(tag); }, epoch);
  }
  counters_.purged.fetch_add(n, std::memory_order_relaxed);
  return n;
}

uint64_t CacheStore::joinFill(const std::string& key, Wake wake) {
  return shardFor(key).joinFill(key, std::move(wake));
}

void CacheStore::leaveFill(const std::string& key, uint64_t waiter) {
  shardFor(key).leaveFill(key, waiter);
}

void CacheStore::finishFill(const std::string& key, FillOutcome outcome) {
  // Called outside the shard's lock: a waiter's wake may take it again.
  for (Wake& wake : shardFor(key).takeWaiters(key))
    wake(outcome, nullptr);
}

void CacheStore::streamFill(const std::string& key, std::shared_ptr<FillStream> stream) {
  for (Wake& wake : shardFor(key).streamFill(key, stream))
    wake(FillOutcome::Streaming, stream);
}

bool CacheStore::beginRefresh(const std::string& key) {
  return shardFor(key).beginRefresh(key);
}

void CacheStore::endRefresh(const std::string& key) {
  shardFor(key).endRefresh(key);
}

void CacheStore::setOriginFailing(const std::string& key, bool failing) {
  shardFor(key).setOriginFailing(key, failing);
}

bool CacheStore::originFailing(const std::string& key) {
  return shardFor(key).originFailing(key);
}

uint64_t CacheStore::bytesUsed() const {
  uint64_t n = 0;
  for (const auto& shard : shards_)
    n += shard->bytesUsed();
  return n;
}

uint64_t CacheStore::objectCount() const {
  uint64_t n = 0;
  for (const auto& shard : shards_)
    n += shard->objectCount();
  return n;
}

}  // namespace gatehouse::cache
