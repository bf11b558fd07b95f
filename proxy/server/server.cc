#include "proxy/server/server.h"

#include <signal.h>
#include <sys/resource.h>

#include <atomic>

#include "proxy/base/log.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/timer.h"
#include "proxy/server/readiness.h"
#include "proxy/server/worker.h"

namespace gatehouse::server {
namespace {

// Lets a busy edge hold many connections without a separate ulimit step (nginx's
// worker_rlimit_nofile): the soft limit goes up to the hard one.
void raiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

class Process {
 public:
  explicit Process(std::shared_ptr<const Snapshot> snapshot) : snapshot_(std::move(snapshot)) {}

  int run(int access_log_fd) {
    const config::Config& config = *snapshot_->config;
    for (unsigned i = 0; i < config.workers; ++i)
      workers_.push_back(std::make_unique<Worker>(i, snapshot_, access_log_fd));
    if (!bindListeners()) return 1;

    net::EventLoop& loop = main_loop_;
    net::EventPtr term(evsignal_new(loop.base(), SIGTERM, &Process::onSignal, this));
    net::EventPtr intr(evsignal_new(loop.base(), SIGINT, &Process::onSignal, this));
    net::EventPtr hup(evsignal_new(loop.base(), SIGHUP, &Process::onSignal, this));
    for (event* ev : {term.get(), intr.get(), hup.get()}) evsignal_add(ev, nullptr);
    grace_timer_ = std::make_unique<net::Timer>(loop.base(), [this] {
      log::warn("shutdown_grace elapsed with requests in flight; stopping now");
      for (auto& w : workers_) w->forceStop();
    });

    for (auto& w : workers_) {
      w->start([this] {
        if (++stopped_ == workers_.size()) main_loop_.stop();
      });
    }
    log::info("gatehouse {} serving with {} worker(s)", GATEHOUSE_VERSION, workers_.size());
    notifyReady();
    main_loop_.run();
    for (auto& w : workers_) w->join();
    grace_timer_.reset();
    workers_.clear();
    log::info("stopped");
    return 0;
  }

 private:
  bool bindListeners() {
    for (const config::ListenerConfig& lc : snapshot_->config->listeners) {
      auto address = net::SocketAddress::resolve(lc.address.host, lc.address.port);
      if (!address) {
        log::error("listeners: {}: {}", lc.address.text, address.error().message);
        return false;
      }
      // The first worker's bind fixes the port (port 0 picks one); the others share it.
      net::SocketAddress bind_to = *address;
      for (auto& w : workers_) {
        auto bound = w->listen(bind_to);
        if (!bound) {
          log::error("{}", bound.error().message);
          return false;
        }
        bind_to = *bound;
      }
      log::info("listening on {}", bind_to.toString());
    }
    return true;
  }

  static void onSignal(evutil_socket_t signal, short, void* arg) {
    auto* self = static_cast<Process*>(arg);
    if (signal == SIGHUP) {
      log::warn("SIGHUP: configuration reload is not available in this version; ignored");
      return;
    }
    if (self->stopping_) {
      log::warn("second stop signal: stopping now");
      for (auto& w : self->workers_) w->forceStop();
      return;
    }
    self->stopping_ = true;
    notifyStopping();
    const auto grace = self->snapshot_->config->shutdown_grace;
    log::info("{}: graceful stop, finishing in-flight requests (up to {} ms)",
              signal == SIGTERM ? "SIGTERM" : "SIGINT", grace.count());
    for (auto& w : self->workers_) w->beginShutdown();
    self->grace_timer_->arm(grace);
  }

  std::shared_ptr<const Snapshot> snapshot_;
  net::EventLoop main_loop_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<net::Timer> grace_timer_;
  std::atomic<size_t> stopped_{0};
  bool stopping_ = false;
};

}  // namespace

int run(std::shared_ptr<const config::Config> config) {
  log::setLevel(config->log.level);
  net::initLibeventThreading();
  signal(SIGPIPE, SIG_IGN);
  raiseFileLimit();
  auto snapshot = buildSnapshot(config);
  if (!snapshot) {
    log::error("{}", snapshot.error().message);
    return 1;
  }
  auto access_log = openAccessLog(config->log.access);
  if (!access_log) {
    log::error("{}", access_log.error().message);
    return 1;
  }
  Process process(std::move(*snapshot));
  return process.run(*access_log);
}

}  // namespace gatehouse::server
