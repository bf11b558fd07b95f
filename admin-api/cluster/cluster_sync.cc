// ClusterSync's life: construction, start and teardown. Its other jobs each have a file:
//   cluster_sync_start_load.cc  the blocking load of the site's state before the workers start
//   cluster_sync_connection.cc  the two asynchronous links: connect, lose, back off, come up
//   cluster_sync_receive.cc     what Redis tells this instance: the catch-up, the channel
//   cluster_sync_publish.cc     what this instance tells Redis: its changes and purges
//   cluster_sync_heartbeat.cc   this instance's heartbeat and the live instances' list
//   cluster_sync_tls.cc         rediss://: the TLS context and the bridge's target
#include "admin-api/cluster/cluster_sync.h"

#include <fmt/format.h>

#include "proxy/base/log.h"
#include "proxy/pipeline/invalidation_feed.h"

namespace gatehouse::cluster {

ClusterSync::ClusterSync(net::EventLoop& loop, server::ProcessControl& control,
                         const config::ClusterConfig& config, std::string address,
                         std::function<void()> persist)
    : loop_(loop),
      control_(control),
      read_only_(gate::ReadOnlyState::process()),
      config_(config),
      address_(std::move(address)),
      persist_(std::move(persist)),
      down_since_(std::chrono::system_clock::now()),
      retry_timer_(loop.base(), [this] { connect(); }),
      deadline_timer_(loop.base(),
                      [this] {
                        if (phase_ != Phase::Up)
                          linkDown(generation_,
                                   fmt::format("no answer within {} ms", config_.timeout.count()));
                      }),
      heartbeat_timer_(loop.base(), [this] {
        beat();
        heartbeat_timer_.arm(config_.heartbeat);
      }) {}

ClusterSync::~ClusterSync() {
  feed_subscription_.reset();
  alive_.reset();
  // The links' destructors free their contexts; the pending callbacks get no reply and return.
  ++generation_;
  commands_.reset();
  subscriber_.reset();
}

std::string ClusterSync::key(std::string_view suffix) const {
  return fmt::format("gatehouse:{}:{}", config_.name, suffix);
}

Result<void> ClusterSync::start() {
  if (config_.use_tls) {
    auto ctx = tlsContext();
    if (!ctx) return Error{"cluster: " + ctx.error().message};
    tls_ctx_ = std::move(*ctx);
  }
  log::info("cluster: site {}, instance {}, Redis {}{}", config_.name, config_.instance,
            config_.redis, config_.use_tls ? fmt::format(" (TLS, {})", tlsDescription()) : "");
  loadAtStart();
  connect();
  heartbeat_timer_.arm(config_.heartbeat);
  net::EventLoop* loop = &loop_;  // the main loop outlives this object
  feed_subscription_ = pipeline::InvalidationFeed::process().subscribe(
      [this, loop, alive = std::weak_ptr<bool>(alive_)](const pipeline::Invalidation& inv) {
        loop->post([this, alive, inv] {
          if (!alive.lock()) return;
          PurgeEvent event;
          event.url_key = inv.url_key;
          event.prefix = inv.prefix;
          if (!event.url_key.empty() || !event.prefix.empty()) purged(std::move(event));
          for (const std::string& tag : inv.tags) {
            PurgeEvent one;
            one.tag = tag;
            purged(std::move(one));
          }
        });
      });
  return {};
}

}  // namespace gatehouse::cluster
