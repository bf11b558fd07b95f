#include "proxy/server/service_notifier.h"

#include "proxy/base/log.h"
#include "proxy/server/readiness.h"

namespace gatehouse::server {

ServiceNotifier::ServiceNotifier(net::EventLoop& loop,
                                 const std::vector<std::unique_ptr<Worker>>& workers,
                                 std::function<std::string()> summary)
    : workers_(workers),
      summary_(std::move(summary)),
      watchdog_(watchdogInterval()),
      status_timer_(loop.base(),
                    [this] {
                      sendStatus();
                      status_timer_.arm(kStatusInterval);
                    }),
      watchdog_timer_(loop.base(), [this] { onWatchdogTick(); }) {
  status_timer_.arm(kStatusInterval);
  if (watchdog_) {
    log::info("systemd watchdog: every {} ms, from every worker loop", watchdog_->count());
    onWatchdogTick();
  }
}

void ServiceNotifier::sendStatus() {
  notifyStatus(summary_());
}

void ServiceNotifier::onWatchdogTick() {
  bool all_answered = true;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i]->heartbeat() != beat_) {
      all_answered = false;
      if (!stopping_) log::warn("worker {} has not turned its loop for a watchdog tick", i);
    }
  }
  if (all_answered || stopping_) notifyWatchdog();
  ++beat_;
  for (auto& w : workers_)
    w->ping(beat_);
  watchdog_timer_.arm(*watchdog_ / 4);
}

}  // namespace gatehouse::server
