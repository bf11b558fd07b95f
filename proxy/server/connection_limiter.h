#pragma once
// limits.max_connections and limits.max_connections_per_ip: client connections open at once on
// the public listeners, counted across every worker (SO_REUSEPORT spreads one client's
// connections over all of them, so per-worker counts would let it have workers x the cap).
// A worker asks admit() at accept and closes the connection at once when refused; the Slot it
// gets back travels with the connection (through TLS handshake and h2c sniffing hand-overs) and
// gives its place back when destroyed.
//
// One relaxed atomic for the total; per client address a count in one of 64 mutex-guarded
// shards, touched twice per connection, never per request. An IPv6 client is counted by its /64
// (one subscriber's network: counting whole addresses would let a single host take 2^64 places);
// an IPv4 one, or an IPv4-mapped IPv6 one, by its address.

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "proxy/net/socket_address.h"

namespace gatehouse::server {

class ConnectionLimiter {
 public:
  using ClientKey = std::array<uint8_t, 16>;
  enum class Verdict { Admitted, OverMaxConnections, OverMaxPerIp };

  // A counted connection; moves with it and releases its place when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept { *this = std::move(other); }
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }
    bool admitted() const { return owner_ != nullptr; }
    Verdict verdict() const { return verdict_; }

   private:
    friend class ConnectionLimiter;
    void release();
    ConnectionLimiter* owner_ = nullptr;
    ClientKey key_{};
    bool per_ip_ = false;  // counted under key_ (the per-address cap was on when admitted)
    Verdict verdict_ = Verdict::Admitted;
  };

  // max_total: at least 1; max_per_ip: 0 = no per-address cap.
  ConnectionLimiter(uint64_t max_total, uint32_t max_per_ip) { setLimits(max_total, max_per_ip); }
  ConnectionLimiter(const ConnectionLimiter&) = delete;
  ConnectionLimiter& operator=(const ConnectionLimiter&) = delete;

  // Thread-safe; on reload. Connections already open stay, even above a lowered cap.
  void setLimits(uint64_t max_total, uint32_t max_per_ip) {
    max_total_.store(max_total, std::memory_order_relaxed);
    max_per_ip_.store(max_per_ip, std::memory_order_relaxed);
  }
  // Thread-safe. A slot for a new connection from `client`, or a refused one saying which
  // limit was reached.
  Slot admit(const ClientKey& client);
  uint64_t open() const { return open_.load(std::memory_order_relaxed); }
  // Connections counted for `client` now (tests, diagnostics).
  uint32_t openFrom(const ClientKey& client) const;

  // The address a connection is counted under (see the header comment).
  static ClientKey keyOf(const net::SocketAddress& peer);
  // limits.max_connections: auto, from the file descriptors the process may open now.
  static uint32_t autoMaxConnections();

 private:
  struct KeyHash {
    size_t operator()(const ClientKey& k) const;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<ClientKey, uint32_t, KeyHash> open;
  };
  static constexpr size_t kShards = 64;
  Shard& shardOf(const ClientKey& key) const;
  void release(const ClientKey& key, bool per_ip);

  std::atomic<uint64_t> max_total_{0};
  std::atomic<uint32_t> max_per_ip_{0};
  std::atomic<uint64_t> open_{0};
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace gatehouse::server
