// The two asynchronous links (commands, subscriber) and their life: connecting with a deadline
// (cluster.timeout), coming up once the catch-up of cluster_sync_receive.cc is done, and going
// down on any failure, after which both are dropped and reopened with backoff (100 ms doubling
// up to cluster.retry_max). Each attempt has a generation: a late callback of an older attempt
// sees another number and does nothing.
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>

#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/cluster/redis_reply.h"
#include "proxy/base/log.h"

namespace gatehouse::cluster {

void ClusterSync::connect() {
  const uint64_t generation = ++generation_;
  phase_ = Phase::Connecting;
  auto on_down = [this, generation](const std::string& why) { linkDown(generation, why); };
  std::string why;
  const auto open = [&] {
    return bridge_ ? RedisLink::openUnix(loop_.base(), bridge_->socketPath(), on_down, why)
                   : RedisLink::open(loop_.base(), config_.host, config_.port, on_down, why);
  };
  if (config_.use_tls) {
    reloadTlsFiles();
    auto bridge = net::TlsBridge::open(loop_.base(), tlsTarget(), tls_ctx_);
    if (!bridge) return linkDown(generation, bridge.error().message);
    bridge_ = std::move(*bridge);
  }
  commands_ = open();
  if (commands_) subscriber_ = open();
  if (!commands_ || !subscriber_) return linkDown(generation, why);
  deadline_timer_.arm(config_.timeout);
  auto check = [this, generation](const char* what) {
    return [this, generation, what](const redisReply* r) {
      if (r == nullptr || generation != generation_) return;
      if (r->type == REDIS_REPLY_ERROR)
        linkDown(generation, fmt::format("{}: {}", what, replyText(r)));
    };
  };
  for (RedisLink* link : {commands_.get(), subscriber_.get()})
    if (!config_.password.empty()) link->command({"AUTH", config_.password}, check("AUTH"));
  commands_->command({"SELECT", std::to_string(config_.db)}, check("SELECT"));
  // Subscribed first, loaded second: a change published in between is heard, not missed.
  subscriber_->command(
      {"SUBSCRIBE", key("events")},
      [this, generation](const redisReply* r) {
        if (r == nullptr || generation != generation_) return;
        if (r->type == REDIS_REPLY_ERROR) return linkDown(generation, "SUBSCRIBE: " + replyText(r));
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
        if (replyText(r->element[0]) == "subscribe") return resync();
        onMessage(r);
      },
      /*persistent=*/true);
}

void ClusterSync::linkDown(uint64_t generation, const std::string& why) {
  if (generation != generation_) return;
  ++generation_;  // whatever the old links still answer is ignored
  const bool was_up = phase_ == Phase::Up;
  phase_ = Phase::Down;
  deadline_timer_.cancel();
  heartbeat_pending_ = false;
  instances_.clear();
  for (auto* link : {&commands_, &subscriber_}) {
    if (!*link) continue;
    (*link)->detach();
    // It may be the one calling us: freed once this callback has returned.
    loop_.deferDelete(std::move(*link));
  }
  bool tls_failure = false;
  std::string reason = why;
  if (bridge_) {
    // hiredis only saw its connection close: the bridge knows why (OpenSSL's reason).
    if (!bridge_->error().empty()) {
      reason = bridge_->error();
      tls_failure = bridge_->tlsFailed();
    }
    loop_.deferDelete(std::move(bridge_));
  }
  last_error_ = reason;
  if (was_up) {
    ++counters_.disconnects;
    down_since_ = std::chrono::system_clock::now();
    backoff_ = std::chrono::milliseconds(100);
    log::error("cluster: lost Redis {} ({}); serving on with the state as it is, retrying",
               config_.redis, reason);
    logged_down_ = true;
    logged_reason_ = reason;
  } else {
    ++(tls_failure ? counters_.tls_failures : counters_.connect_failures);
    if (!logged_down_ || reason != logged_reason_) {
      log::error("cluster: cannot reach Redis {} ({}); retrying every {} ms at most", config_.redis,
                 reason, config_.retry_max.count());
      logged_down_ = true;
      logged_reason_ = reason;
    } else {
      log::debug("cluster: Redis {} still unreachable: {}", config_.redis, reason);
    }
  }
  retry_timer_.arm(backoff_);
  backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, config_.retry_max);
}
void ClusterSync::becomeUp() {
  phase_ = Phase::Up;
  deadline_timer_.cancel();
  ++counters_.connects;
  backoff_ = std::chrono::milliseconds(100);
  last_error_.clear();
  logged_down_ = false;
  while (!unsent_.empty()) {
    sendPurge(unsent_.front());
    unsent_.pop_front();
  }
  log::info("cluster: connected to Redis {} (site {}, instance {})", config_.redis, config_.name,
            config_.instance);
  beat();
}

}  // namespace gatehouse::cluster
