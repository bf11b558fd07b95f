#pragma once
// The cluster sync (`cluster:`, docs/CLUSTER.md): instances of one site share read-only mode,
// backend admin states, pool pauses and cache purges through Redis, and heartbeat into it.
//
// Everything runs on the main loop and nothing waits on Redis but the start: before the
// workers start, the state is loaded with a blocking round trip bounded by cluster.timeout
// (Redis away: the instance starts with its own state and catches up later). From then on two
// asynchronous links (hiredis + its libevent adapter): one for commands, one subscribed to the
// site's channel. A change made here is written to the state hash by a script that keeps the
// newer version (cluster_record.h: last writer wins) and publishes it; every instance applies
// what it hears. Redis gone: the instance keeps its state, serves on, and reconnects with
// backoff (100 ms doubling up to cluster.retry_max); changes made meanwhile are kept locally
// (callers tell the operator) and pushed when Redis is back, where the newer version wins.
//
// Keys, for site S: gatehouse:S:state (hash: key -> record), gatehouse:S:events (channel),
// gatehouse:S:purges (stream, the last ~10000 purges and bans), gatehouse:S:instances (set of
// names) and gatehouse:S:instance:NAME (a heartbeat, expiring after cluster.instance_ttl).
//
// rediss:// (TLS): hiredis 0.14 has no TLS, so each connection attempt opens a TLS bridge
// (net/tls_bridge.h): hiredis connects to its private Unix socket and the bridge relays over
// TLS, verifying Redis' certificate (cluster.tls). A TLS failure is reported with OpenSSL's
// reason and counted apart (tls_failures); the retry opens a fresh bridge.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin-api/cluster/cluster_record.h"
#include "admin-api/cluster/redis_link.h"
#include "config/config.h"
#include "health/server_state.h"
#include "proxy/gate/read_only_state.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/timer.h"
#include "proxy/net/tls_bridge.h"
#include "proxy/server/process_control.h"

namespace gatehouse::cluster {

// For /metrics (main loop only).
struct ClusterCounters {
  uint64_t connects = 0;           // links established
  uint64_t connect_failures = 0;   // attempts that failed (refused, timeout, AUTH)
  uint64_t tls_failures = 0;       // attempts whose TLS failed (rediss://: handshake, certificate)
  uint64_t disconnects = 0;        // established links lost
  uint64_t published = 0;          // changes made here and written to Redis
  uint64_t local_only = 0;         // changes made here while Redis was away
  uint64_t applied = 0;            // changes of other instances applied here
  uint64_t conflicts = 0;          // a change that lost to a newer version (last writer wins)
  uint64_t purges_published = 0;   // purges and bans made here and sent
  uint64_t purges_local_only = 0;  // purges and bans made here while Redis was away
  uint64_t purges_applied = 0;     // purges and bans of other instances applied here
  uint64_t invalid = 0;            // records or messages that could not be read or applied
};

// The TLS context of a rediss:// cluster.redis, from cluster.tls' files (`gatehouse check`
// builds it too): an error names the file (FILE:LINE:COL: cluster.tls.KEY) and OpenSSL's reason.
Result<net::SslCtxPtr> makeRedisTlsContext(const config::ClusterConfig& config);

class ClusterSync {
 public:
  // `address`: how operators reach this instance (its admin address, else its first listener),
  // shown in /cluster. `persist`: saves the process's state (state file) after a change of
  // another instance was applied here.
  ClusterSync(net::EventLoop& loop, server::ProcessControl& control,
              const config::ClusterConfig& config, std::string address,
              std::function<void()> persist);
  ~ClusterSync();
  ClusterSync(const ClusterSync&) = delete;
  ClusterSync& operator=(const ClusterSync&) = delete;

  // The blocking load at start (bounded by cluster.timeout), then the asynchronous links. An
  // error only when rediss://'s certificates or keys cannot be read (FILE:LINE:COL: key: ...).
  Result<void> start();

  // A change made here (the admin API calls these after applying it). True when it went to
  // Redis now; false: applied here only, sent when Redis is back.
  bool readOnlyChanged();
  bool serverStateChanged(std::string_view pool, std::string_view server, health::AdminState state);
  bool poolPauseChanged(std::string_view pool, bool paused);
  bool purged(PurgeEvent event);

  bool connected() const { return phase_ == Phase::Up; }
  // Why Redis is unreachable, and since when (empty while connected).
  const std::string& lastError() const { return last_error_; }
  std::chrono::system_clock::time_point downSince() const { return down_since_; }
  const config::ClusterConfig& config() const { return config_; }
  const ClusterCounters& counters() const { return counters_; }

  // The live instances' heartbeats as last read (this one included), in name order. Empty
  // while disconnected: nobody can tell who is alive.
  const std::vector<nlohmann::json>& instances() const;
  // This instance's heartbeat as it would be written now.
  nlohmann::json heartbeat();
  // How many live instances have a config digest other than this one's.
  size_t configMismatches() const;

 private:
  enum class Phase { Down, Connecting, Up };

  std::string key(std::string_view suffix) const;

  // cluster_sync_start_load.cc: the blocking load before the workers start.
  void loadAtStart();
  std::string loadFrom(redisContext* c);  // the start's load over `c`: why it failed, or empty

  // cluster_sync_tls.cc: rediss://.
  Result<net::SslCtxPtr> tlsContext() const;  // from cluster.tls' files
  void reloadTlsFiles();
  net::TlsBridge::Target tlsTarget() const;
  std::string tlsDescription() const;

  // cluster_sync_connection.cc: the links' life (Down -> Connecting -> Up -> Down ...).
  void connect();
  void linkDown(uint64_t generation, const std::string& why);
  void becomeUp();

  // cluster_sync_receive.cc: the catch-up after connecting, and the channel's messages.
  void resync();
  void onStateHash(const redisReply* reply);
  void catchUpPurges();
  void onMessage(const redisReply* reply);
  void receiveRecord(const Record& record, const char* how);
  void receivePurge(const std::string& id, const PurgeEvent& event);

  // cluster_sync_publish.cc: the changes and purges made here.
  bool publish(Record record);
  void sendRecord(const Record& record);
  void sendPurge(const PurgeEvent& event);

  // cluster_sync_heartbeat.cc.
  void beat();
  void onHeartbeats(const redisReply* reply);

  net::EventLoop& loop_;
  server::ProcessControl& control_;
  gate::ReadOnlyState& read_only_;
  const config::ClusterConfig config_;
  const std::string address_;
  std::function<void()> persist_;

  Phase phase_ = Phase::Down;
  uint64_t generation_ = 0;  // one per connection attempt: late callbacks of older ones are ignored
  net::SslCtxPtr tls_ctx_;   // rediss:// only: the last good context of cluster.tls' files
  std::string tls_files_error_;             // why they cannot be read now (logged once per reason)
  std::unique_ptr<net::TlsBridge> bridge_;  // rediss:// only: this attempt's bridge
  std::unique_ptr<RedisLink> commands_;
  std::unique_ptr<RedisLink> subscriber_;
  std::chrono::milliseconds backoff_{100};
  std::string last_error_;
  std::chrono::system_clock::time_point down_since_;
  bool logged_down_ = false;
  std::string logged_reason_;  // a new reason while down is logged again, the same one is not

  StateBook book_;
  std::string last_purge_id_;      // the newest stream entry seen
  std::deque<PurgeEvent> unsent_;  // purges made while Redis was away (bounded)
  std::vector<nlohmann::json> instances_;
  std::chrono::steady_clock::time_point heartbeat_sent_{};
  bool heartbeat_pending_ = false;
  uint64_t last_requests_ = 0;
  std::chrono::steady_clock::time_point last_requests_at_{};
  double requests_per_s_ = 0;

  ClusterCounters counters_;
  // PURGE/BAN answered on the public listeners (worker threads) reach purged() through a post
  // to the main loop; `alive_` tells a late post that this object is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<const void> feed_subscription_;
  net::Timer retry_timer_;
  net::Timer deadline_timer_;  // connecting must finish within cluster.timeout
  net::Timer heartbeat_timer_;
};

}  // namespace gatehouse::cluster
