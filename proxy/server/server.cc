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
#include "proxy/server/certificate_expiry.h"
#include "proxy/server/instance_lock.h"
#include "proxy/server/log_files.h"
#include "proxy/server/readiness.h"
#include "proxy/server/reload_policy.h"
#include "proxy/server/service_notifier.h"
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
  Process(std::shared_ptr<const Snapshot> snapshot, std::shared_ptr<net::TicketKeys> ticket_keys,
          std::unique_ptr<LogFiles> log_files)
      : snapshot_(std::move(snapshot)),
        ticket_keys_(std::move(ticket_keys)),
        log_files_(std::move(log_files)),
        limiter_(maxConnections(snapshot_->config->limits),
                 snapshot_->config->limits.max_connections_per_ip) {}

  int run(const Extension& extension) {
    const config::Config& config = *snapshot_->config;
    configureReadOnly();
    for (unsigned i = 0; i < config.workers; ++i)
      workers_.push_back(std::make_unique<Worker>(i, snapshot_, log_files_->accessFd(), limiter_));
    log::info("limits: {} client connections, {} per client address, {} of buffers",
              maxConnections(config.limits), config.limits.max_connections_per_ip,
              config::formatByteSize(config.limits.memory));
    if (!bindListeners()) return 1;

    net::EventLoop& loop = main_loop_;
    net::EventPtr term(evsignal_new(loop.base(), SIGTERM, &Process::onSignal, this));
    net::EventPtr intr(evsignal_new(loop.base(), SIGINT, &Process::onSignal, this));
    net::EventPtr hup(evsignal_new(loop.base(), SIGHUP, &Process::onSignal, this));
    net::EventPtr usr1(evsignal_new(loop.base(), SIGUSR1, &Process::onSignal, this));
    for (event* ev : {term.get(), intr.get(), hup.get(), usr1.get()})
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
    notifier_ =
        std::make_unique<ServiceNotifier>(main_loop_, workers_, [this] { return summary(); });
    certificate_watch_ =
        std::make_unique<CertificateWatch>(main_loop_, [this] { return snapshot_; });
    notifyReady();
    notifier_->sendStatus();
    main_loop_.run();
    certificate_watch_.reset();
    notifier_.reset();
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
    // systemd sees RELOADING=1, then READY=1 whatever the outcome: the old config still serves.
    notifyReloading();
    auto outcome = reloadConfig();
    notifyReady();
    if (notifier_) notifier_->sendStatus();
    return outcome;
  }

  Result<void> reloadConfig() {
    const std::string path = snapshot_->config->source;  // a copy: the old config may go
    auto config = config::loadConfigFile(path);
    if (!config) return reloadFailed(config.error());
    if (auto ok = checkReloadable(*snapshot_->config, **config); !ok)
      return reloadFailed(ok.error());
    auto next = buildSnapshot(*config, ticket_keys_, snapshot_.get());
    if (!next) return reloadFailed(next.error());
    if (auto logs = log_files_->apply((*next)->config->log); !logs)
      return reloadFailed(logs.error());
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

  // One log entry per problem: an error log line never spans lines.
  static Result<void> reloadFailed(const Error& error) {
    std::string_view rest = error.message;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      log::error("reload failed, still serving the previous configuration: {}",
                 rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    return error;
  }

  // STATUS= for systemd: requests per second since the last summary, read-only, servers up.
  std::string summary() {
    uint64_t requests = 0;
    for (auto& w : workers_)
      for (const auto& n : w->counters().responses_by_class)
        requests += n.load(std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - summary_at_).count();
    const double rate =
        seconds > 0 ? static_cast<double>(requests - summary_requests_) / seconds : 0;
    summary_at_ = now;
    summary_requests_ = requests;
    size_t up = 0, servers = 0;
    for (const auto& pool : snapshot_->pools) {
      for (const auto& server : pool->servers()) {
        ++servers;
        if (server->available()) ++up;
      }
    }
    return fmt::format("{:.1f} req/s, read-only {}, servers up {}/{}{}", rate,
                       gate::ReadOnlyState::process().enabled() ? "on" : "off", up, servers,
                       stopping_ ? ", stopping" : "");
  }

  static void onSignal(evutil_socket_t signal, short, void* arg) {
    auto* self = static_cast<Process*>(arg);
    if (signal == SIGHUP) {
      [[maybe_unused]] const auto outcome = self->reload();  // reload() logs it
      return;
    }
    if (signal == SIGUSR1) {
      if (auto reopened = self->log_files_->reopen(); !reopened)
        log::error("SIGUSR1: {}; still writing to the old files", reopened.error().message);
      else
        log::info("SIGUSR1: log files reopened");
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
    if (self->notifier_) self->notifier_->stopping();
    const auto grace = self->snapshot_->config->shutdown_grace;
    log::info("{}: graceful stop, finishing in-flight requests (up to {} ms)",
              signal == SIGTERM ? "SIGTERM" : "SIGINT", grace.count());
    for (auto& w : self->workers_)
      w->beginShutdown();
    self->grace_timer_->arm(grace);
  }

  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<net::TicketKeys> ticket_keys_;
  std::unique_ptr<LogFiles> log_files_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point last_reload_ = started_;
  ConnectionLimiter limiter_;  // before workers_: their connections give their places back
  net::EventLoop main_loop_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<health::ActiveChecker>> checkers_;
  std::unique_ptr<net::Timer> grace_timer_;
  std::unique_ptr<ServiceNotifier> notifier_;
  std::unique_ptr<CertificateWatch> certificate_watch_;
  std::chrono::steady_clock::time_point summary_at_ = std::chrono::steady_clock::now();
  uint64_t summary_requests_ = 0;
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
  // Before anything binds or opens the state file: a second instance stops here.
  auto instance = InstanceLock::acquire(*config);
  if (!instance) {
    log::error("{}", instance.error().message);
    return 1;
  }
  auto ticket_keys = std::make_shared<net::TicketKeys>();
  auto snapshot = buildSnapshot(config, ticket_keys);
  if (!snapshot) {
    log::error("{}", snapshot.error().message);
    return 1;
  }
  auto log_files = LogFiles::open(config->log);
  if (!log_files) {
    log::error("{}", log_files.error().message);
    return 1;
  }
  Process process(std::move(*snapshot), std::move(ticket_keys), std::move(*log_files));
  return process.run(extension);
}

}  // namespace gatehouse::server
