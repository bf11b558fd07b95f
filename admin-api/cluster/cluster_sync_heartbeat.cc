// The heartbeat: every cluster.heartbeat, this instance writes what /cluster shows of it (its
// address, version, request rate, read-only mode, config digest, the servers it does not have
// ready) under a key that expires after cluster.instance_ttl, and reads back every live one.
// A heartbeat that goes unanswered for cluster.timeout takes the links down (a Redis that
// accepts connections but does not answer is as good as gone).
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>

#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/cluster/redis_reply.h"
#include "proxy/base/log.h"

namespace gatehouse::cluster {
namespace {

// Writes this instance's heartbeat and answers every live one, forgetting the expired.
// KEYS: instance set. ARGV: name, heartbeat, ttl ms, instance key prefix.
constexpr std::string_view kHeartbeat = R"(
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', ARGV[4] .. ARGV[1], ARGV[2], 'PX', ARGV[3])
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local hb = redis.call('GET', ARGV[4] .. name)
  if hb then table.insert(out, hb) else redis.call('SREM', KEYS[1], name) end
end
return out)";

}  // namespace

nlohmann::json ClusterSync::heartbeat() {
  const server::ProcessStatus status = control_.status();
  uint64_t requests = 0;
  control_.forEachCounters([&](const server::TrafficCounters& c) {
    for (const auto& n : c.responses_by_class)
      requests += n.load(std::memory_order_relaxed);
  });
  const auto now = std::chrono::steady_clock::now();
  if (last_requests_at_ != std::chrono::steady_clock::time_point{} && now > last_requests_at_) {
    const double seconds = std::chrono::duration<double>(now - last_requests_at_).count();
    if (seconds >= 0.1) requests_per_s_ = static_cast<double>(requests - last_requests_) / seconds;
  }
  if (now - last_requests_at_ >= std::chrono::milliseconds(100)) {
    last_requests_ = requests;
    last_requests_at_ = now;
  }
  // Servers not ready here, with what is still in flight to them: `ctl drain --wait` on any
  // instance waits for every instance's count to reach 0.
  nlohmann::json servers = nlohmann::json::object();
  auto snapshot = control_.snapshot();
  for (const auto& pool : snapshot->pools)
    for (const auto& s : pool->servers())
      if (s->adminState() != health::AdminState::Ready)
        servers[pool->name() + "/" + s->name()] = {{"state", toString(s->adminState())},
                                                   {"in_flight", s->inFlight()}};
  const auto started =
      std::chrono::duration_cast<std::chrono::seconds>(status.started.time_since_epoch()).count();
  return {{"instance", config_.instance},
          {"address", address_},
          {"version", status.version},
          {"started", started},
          {"requests_per_s", static_cast<double>(static_cast<int64_t>(requests_per_s_ * 10)) / 10},
          {"read_only", read_only_.enabled()},
          {"config_digest", snapshot->config->digest},
          {"servers", std::move(servers)}};
}

void ClusterSync::beat() {
  if (phase_ != Phase::Up) return;
  const auto now = std::chrono::steady_clock::now();
  if (heartbeat_pending_) {
    // A Redis that accepts connections but does not answer (stopped, swapping) is as good as
    // gone: reconnect rather than pile up commands.
    if (now - heartbeat_sent_ > config_.timeout)
      linkDown(generation_, fmt::format("no answer within {} ms", config_.timeout.count()));
    return;
  }
  heartbeat_pending_ = true;
  heartbeat_sent_ = now;
  const uint64_t generation = generation_;
  commands_->command({"EVAL", std::string(kHeartbeat), "1", key("instances"), config_.instance,
                      heartbeat().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      std::to_string(config_.instance_ttl.count()), key("instance:")},
                     [this, generation](const redisReply* r) {
                       if (r == nullptr || generation != generation_) return;
                       heartbeat_pending_ = false;
                       if (r->type == REDIS_REPLY_ERROR) {
                         ++counters_.invalid;
                         log::error("cluster: heartbeat: {}", replyText(r));
                         return;
                       }
                       onHeartbeats(r);
                     });
}

void ClusterSync::onHeartbeats(const redisReply* reply) {
  std::vector<nlohmann::json> live;
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < reply->elements; ++i) {
      nlohmann::json hb = nlohmann::json::parse(replyText(reply->element[i]), nullptr, false);
      if (hb.is_object() && hb.contains("instance")) live.push_back(std::move(hb));
    }
  }
  std::sort(live.begin(), live.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("instance", "") < b.value("instance", "");
  });
  instances_ = std::move(live);
}

const std::vector<nlohmann::json>& ClusterSync::instances() const {
  return instances_;
}

size_t ClusterSync::configMismatches() const {
  const std::string mine = control_.snapshot()->config->digest;
  return static_cast<size_t>(std::count_if(
      instances_.begin(), instances_.end(),
      [&](const nlohmann::json& hb) { return hb.value("config_digest", "") != mine; }));
}

}  // namespace gatehouse::cluster
