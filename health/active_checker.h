#pragma once
// Active health checks of one pool (HAProxy's `option httpchk` with rise/fall): every
// `interval`, each server gets a check, by default `GET health.path` on a fresh connection
// (HttpCheck), and passes when its status line arrives within `timeout` with a status in
// `expect`. Results go through a RiseFall per server; a change of health is written to the
// Server (which the workers' balancers read), logged, counted, and reported to `on_transition`.
//
// Runs on the main loop, never on a worker: a slow or dead backend costs the data path nothing.
// Checks are jittered: the first at a random point of the first interval, then every interval
// +-10%, so that servers, pools and gatehouse instances do not check in lockstep.

#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "config/config.h"
#include "health/check.h"
#include "health/rise_fall.h"
#include "health/server.h"
#include "proxy/base/clock.h"
#include "proxy/net/event_loop.h"

namespace gatehouse::health {

class ActiveChecker {
 public:
  // Called from inside a check's completion, which goes on using the checker after it returns:
  // it must not destroy or replace the checker (Process posts its reaction to the main loop).
  using OnTransition = std::function<void(Server& server, Health now)>;

  // `start_check` makes each check (an HttpCheck when empty; tests answer them by hand).
  ActiveChecker(net::EventLoop& loop, const config::HealthCheckConfig& config,
                std::vector<std::shared_ptr<Server>> servers, OnTransition on_transition,
                const Clock& clock = RealClock::instance(), StartCheck start_check = {});
  ~ActiveChecker();
  ActiveChecker(const ActiveChecker&) = delete;
  ActiveChecker& operator=(const ActiveChecker&) = delete;

  // Whether a status passes (`expect`).
  bool expected(int status) const;

 private:
  class ServerChecks;
  friend class ServerChecks;
  Duration jittered(Duration base, double low, double high);

  net::EventLoop& loop_;
  const config::HealthCheckConfig config_;
  OnTransition on_transition_;
  const Clock& clock_;
  StartCheck start_check_;
  std::minstd_rand random_;
  std::vector<std::unique_ptr<ServerChecks>> servers_;
};

}  // namespace gatehouse::health
