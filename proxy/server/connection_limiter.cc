#include "proxy/server/connection_limiter.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstring>

namespace gatehouse::server {

ConnectionLimiter::Slot& ConnectionLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = other.key_;
    per_ip_ = other.per_ip_;
    verdict_ = other.verdict_;
  }
  return *this;
}

void ConnectionLimiter::Slot::release() {
  if (owner_) owner_->release(key_, per_ip_);
  owner_ = nullptr;
}

ConnectionLimiter::Slot ConnectionLimiter::admit(const ClientKey& client) {
  Slot slot;
  if (open_.fetch_add(1, std::memory_order_relaxed) >= max_total_.load(std::memory_order_relaxed)) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    slot.verdict_ = Verdict::OverMaxConnections;
    return slot;
  }
  const uint32_t per_ip = max_per_ip_.load(std::memory_order_relaxed);
  if (per_ip > 0) {
    Shard& shard = shardOf(client);
    std::lock_guard lock(shard.mutex);
    uint32_t& count = shard.open[client];
    if (count >= per_ip) {
      open_.fetch_sub(1, std::memory_order_relaxed);
      slot.verdict_ = Verdict::OverMaxPerIp;
      return slot;
    }
    ++count;
  }
  slot.owner_ = this;
  slot.key_ = client;
  slot.per_ip_ = per_ip > 0;
  return slot;
}

void ConnectionLimiter::release(const ClientKey& key, bool per_ip) {
  if (per_ip) {
    Shard& shard = shardOf(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.open.find(key);
    if (it != shard.open.end() && --it->second == 0) shard.open.erase(it);
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
}

uint32_t ConnectionLimiter::openFrom(const ClientKey& client) const {
  const Shard& shard = shardOf(client);
  std::lock_guard lock(shard.mutex);
  auto it = shard.open.find(client);
  return it == shard.open.end() ? 0 : it->second;
}

size_t ConnectionLimiter::KeyHash::operator()(const ClientKey& k) const {
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, k.data(), 8);
  std::memcpy(&lo, k.data() + 8, 8);
  // A 64-bit mix (splitmix64's finaliser) of both halves: client addresses are not random.
  uint64_t x = hi ^ (lo * 0x9E3779B97F4A7C15ull);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return static_cast<size_t>(x ^ (x >> 31));
}

ConnectionLimiter::Shard& ConnectionLimiter::shardOf(const ClientKey& key) const {
  return shards_[KeyHash{}(key) % kShards];
}

ConnectionLimiter::ClientKey ConnectionLimiter::keyOf(const net::SocketAddress& peer) {
  ClientKey key{};
  if (peer.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(peer.get());
    key[10] = key[11] = 0xff;  // ::ffff:a.b.c.d, as an IPv4-mapped IPv6 address
    std::memcpy(key.data() + 12, &in->sin_addr, 4);
  } else if (peer.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer.get());
    std::memcpy(key.data(), &in6->sin6_addr, 16);
    if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) std::fill(key.begin() + 8, key.end(), 0);  // /64
  }
  return key;
}

uint32_t ConnectionLimiter::autoMaxConnections() {
  // Half the descriptors for clients, half for their backend connections, 256 kept for
  // listeners, files, logs and the admin API.
  constexpr uint64_t kReserved = 256, kFloor = 64, kCeiling = 100'000'000;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return static_cast<uint32_t>(kCeiling);
  const uint64_t fds = limit.rlim_cur;
  const uint64_t half = fds > kReserved ? (fds - kReserved) / 2 : 0;
  return static_cast<uint32_t>(std::clamp(half, kFloor, kCeiling));
}

}  // namespace gatehouse::server
