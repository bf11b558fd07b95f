#include "proxy/server/server.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>

#include "config/loader.h"
#include "config/units.h"
#include "health/active_checker.h"
#include "proxy/base/log.h"
#include "proxy/base/memory_budget.h"
#include "proxy/gate/read_only_state.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/libevent_memory.h"
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

// limits.max_connections (auto resolved now, after raiseFileLimit()) for the limiter.
uint64_t maxConnections(const config::Limits& limits) {
  return limits.max_connections.value_or(ConnectionLimiter::autoMaxConnections());
}

class Process final : public ProcessControl {
 public:
  Process(std::shared_ptr<const Snapshot> snapshot, std::shared_ptr<net::TicketKeys> ticket_keys)
      : snapshot_(std::move(snapshot)),
        ticket_keys_(std::move(ticket_keys)),
        limiter_(maxConnections(snapshot_->config->limits),
                 snapshot_->config->limits.max_connections_per_ip) {}

  int run(int access_log_fd, const Extension& extension) {
    const config::Config& config = *snapshot_->config;
    configureReadOnly();
    for (unsigned i = 0; i < config.workers; ++i)
      workers_.push_back(std::make_unique<Worker>(i, snapshot_, access_log_fd, limiter_));
    log::info("limits: {} client connections, {} per client address, {} of buffers",
              maxConnections(config.limits), config.limits.max_connections_per_ip,
              config::formatByteSize(config.limits.memory));
    if (!bindListeners()) return 1;

    net::EventLoop& loop = main_loop_;
    net::EventPtr term(evsignal_new(loop.base(), SIGTERM, &Process::onSignal, this));
    net::EventPtr intr(evsignal_new(loop.base(), SIGINT, &Process::onSignal, this));
    net::EventPtr hup(evsignal_new(loop.base(), SIGHUP, &Process::onSignal, this));
    for (event* ev : {term.get(), intr.get(), hup.get()})
      evsignal_add(ev, nullptr);
    grace_timer_ = std::make_unique<net::Timer>(loop.base(), [this] {
      log::warn("shutdown_grace elapsed with requests in flight; stopping now");
      for (auto& w : workers_)
        w->forceStop();
    });

    std::shared_ptr<void> extension_handle;
    if (extension) {
      auto started = extension(main_loop_, *this);
      if (!started) {
        log::error("{}", started.error().message);
        return 1;
      }
      extension_handle = std::move(*started);
    }
    startHealthChecks();
    for (auto& w : workers_) {
      w->start([this] {
        if (++stopped_ == workers_.size()) main_loop_.stop();
      });
    }
    log::info("gatehouse {} serving with {} worker(s)", GATEHOUSE_VERSION, workers_.size());
    notifyReady();
    main_loop_.run();
    checkers_.clear();
    extension_handle.reset();
    for (auto& w : workers_)
      w->join();
    grace_timer_.reset();
    workers_.clear();
    log::info("stopped");
    return 0;
  }

 private:
  bool bindListeners() {
    for (size_t index = 0; index < snapshot_->config->listeners.size(); ++index) {
      const config::ListenerConfig& lc = snapshot_->config->listeners[index];
      auto address = net::SocketAddress::resolve(lc.address.host, lc.address.port);
      if (!address) {
        log::error("listeners: {}: {}", lc.address.text, address.error().message);
        return false;
      }
      // The first worker's bind fixes the port (port 0 picks one); the others share it.
      net::SocketAddress bind_to = *address;
      for (auto& w : workers_) {
        auto bound = w->listen(index, bind_to);
        if (!bound) {
          log::error("{}", bound.error().message);
          return false;
        }
        bind_to = *bound;
      }
      log::info("listening on {}{}", bind_to.toString(), lc.tls ? " (TLS)" : "");
    }
    return true;
  }

  // Re-reads the config file and certificates. On any error the running snapshot stays and
  // the error (FILE:LINE:COL lines) is logged; on success workers switch for new connections
  // and requests, and nothing in flight is disturbed.
  Result<void> reload() override {
    const std::string path = snapshot_->config->source;  // a copy: the old config may go
    auto config = config::loadConfigFile(path);
    if (!config) return reloadFailed(config.error());
    if (auto same = sameListeners(**config); !same) return reloadFailed(same.error());
    auto next = buildSnapshot(*config, ticket_keys_, snapshot_.get());
    if (!next) return reloadFailed(next.error());
    snapshot_ = *next;
    configureReadOnly();
    limiter_.setLimits(maxConnections(snapshot_->config->limits),
                       snapshot_->config->limits.max_connections_per_ip);
    MemoryBudget::setLimit(snapshot_->config->limits.memory.bytes());
    log::setLevel(snapshot_->config->log.level);
    for (auto& w : workers_)
      w->updateSnapshot(snapshot_);
    startHealthChecks();
    last_reload_ = std::chrono::system_clock::now();
    log::info("reloaded {}", path);
    return {};
  }

  ProcessStatus status() const override {
    ProcessStatus s;
    s.version = GATEHOUSE_VERSION;
    s.config_source = snapshot_->config->source;
    s.started = started_;
    s.last_reload = last_reload_;
    s.workers = static_cast<unsigned>(workers_.size());
    s.stopping = stopping_;
    for (auto& w : workers_)
      s.connections_open += w->counters().connections_open.load();
    return s;
  }

  std::shared_ptr<const Snapshot> snapshot() const override { return snapshot_; }

  void forEachCounters(const std::function<void(const TrafficCounters&)>& f) const override {
    for (auto& w : workers_)
      f(w->counters());
  }

  void backendsChanged() override {
    for (auto& w : workers_)
      w->backendsChanged();
  }

  // One ActiveChecker per pool with `health:`, for the snapshot in force (a reload replaces
  // them; the servers they check, and so their health, carry over).
  void startHealthChecks() {
    checkers_.clear();
    for (const auto& pool : snapshot_->pools) {
      if (!pool->healthCheck()) continue;
      checkers_.push_back(std::make_unique<health::ActiveChecker>(
          main_loop_, *pool->healthCheck(), pool->servers(),
          [this](health::Server&, health::Health) { backendsChanged(); }));
    }
  }

  // The read_only: settings in force, for the gate (the switch itself is the admin API's).
  void configureReadOnly() {
    const std::shared_ptr<const config::Config>& config = snapshot_->config;
    gate::ReadOnlyState::process().configure(
        std::shared_ptr<const config::ReadOnlyConfig>(config, &config->read_only));
  }

  static Result<void> reloadFailed(const Error& error) {
    log::error("reload failed, still serving the previous configuration:\n{}", error.message);
    return error;
  }

  // Listening sockets are bound once at start: adding, removing or moving one (or switching
  // TLS on or off) needs a restart. Everything else may change.
  // The error points at the first listener that differs (FILE:LINE:COL of its item).
  Result<void> sameListeners(const config::Config& next) const {
    const auto& now = snapshot_->config->listeners;
    const auto& then = next.listeners;
    for (size_t i = 0; i < now.size() && i < then.size(); ++i) {
      if (now[i].address == then[i].address && now[i].tls.has_value() == then[i].tls.has_value())
        continue;
      return Error{fmt::format(
          "{}: changed from {}{} to {}{}; listeners are bound at start: restart to apply",
          then[i].origin, now[i].address.text, now[i].tls ? " (TLS)" : "", then[i].address.text,
          then[i].tls ? " (TLS)" : "")};
    }
    if (then.size() > now.size()) {
      return Error{fmt::format("{}: a new listener; listeners are bound at start: restart to apply",
                               then[now.size()].origin)};
    }
    if (then.size() < now.size()) {
      return Error{fmt::format(
          "{}: the last listener now; {} listener(s) after it were removed; listeners are bound "
          "at start: restart to apply",
          then.back().origin, now.size() - then.size())};
    }
    return {};
  }

  static void onSignal(evutil_socket_t signal, short, void* arg) {
    auto* self = static_cast<Process*>(arg);
    if (signal == SIGHUP) {
      [[maybe_unused]] const auto outcome = self->reload();  // reload() logs it
      return;
    }
    if (self->stopping_) {
      log::warn("second stop signal: stopping now");
      for (auto& w : self->workers_)
        w->forceStop();
      return;
    }
    self->stopping_ = true;
    notifyStopping();
    const auto grace = self->snapshot_->config->shutdown_grace;
    log::info("{}: graceful stop, finishing in-flight requests (up to {} ms)",
              signal == SIGTERM ? "SIGTERM" : "SIGINT", grace.count());
    for (auto& w : self->workers_)
      w->beginShutdown();
    self->grace_timer_->arm(grace);
  }

  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<net::TicketKeys> ticket_keys_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point last_reload_ = started_;
  ConnectionLimiter limiter_;  // before workers_: their connections give their places back
  net::EventLoop main_loop_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<health::ActiveChecker>> checkers_;
  std::unique_ptr<net::Timer> grace_timer_;
  std::atomic<size_t> stopped_{0};
  bool stopping_ = false;
};

}  // namespace

int run(std::shared_ptr<const config::Config> config, const Extension& extension) {
  log::setLevel(config->log.level);
  net::countLibeventMemory();  // before any other libevent call
  MemoryBudget::setLimit(config->limits.memory.bytes());
  net::initLibeventThreading();
  signal(SIGPIPE, SIG_IGN);
  raiseFileLimit();
  auto ticket_keys = std::make_shared<net::TicketKeys>();
  auto snapshot = buildSnapshot(config, ticket_keys);
  if (!snapshot) {
    log::error("{}", snapshot.error().message);
    return 1;
  }
  auto access_log = openAccessLog(config->log.access);
  if (!access_log) {
    log::error("{}", access_log.error().message);
    return 1;
  }
  Process process(std::move(*snapshot), std::move(ticket_keys));
  return process.run(*access_log, extension);
}

}  // namespace gatehouse::server
