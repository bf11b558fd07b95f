#pragma once
// A ProcessControl for admin tests: a configuration with one pool of two servers, per-worker
// counters the test sets, and reload() outcomes the test scripts. The ProcessControl seam's
// mock (STYLE.md habit 7).

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/server/process_control.h"
#include "proxy/upstream/backend_pool.h"

namespace gatehouse::admin::testing {

inline constexpr std::string_view kToken = "test-token-0123456789";

class FakeProcessControl final : public server::ProcessControl {
 public:
  explicit FakeProcessControl(unsigned workers = 2) {
    for (unsigned i = 0; i < workers; ++i) {
      counters.push_back(std::make_unique<server::TrafficCounters>());
      counters.back()->responses_by_listener = std::vector<server::TrafficCounters::ClassCounts>(2);
    }
    auto config = std::make_shared<config::Config>();
    config->source = "/etc/gatehouse/gatehouse.yaml";
    config->workers = workers;
    for (uint16_t port : {80, 443}) {
      config->listeners.emplace_back();
      config->listeners.back().address = {"0.0.0.0", port, fmt::format("0.0.0.0:{}", port)};
    }
    config->admin.emplace();
    config->admin->address = {"127.0.0.1", 0, "127.0.0.1:0"};
    config->admin->token = std::string(kToken);
    config::BackendConfig app;
    app.name = "app";
    app.servers.push_back({"app1", {"127.0.0.1", 8001, "127.0.0.1:8001"}, 1, ""});
    app.servers.push_back({"app2", {"127.0.0.1", 8002, "127.0.0.1:8002"}, 1, ""});
    config->backends.push_back(app);
    auto snapshot = std::make_shared<server::Snapshot>();
    snapshot->config = config;
    snapshot->pools.push_back(std::move(upstream::BackendPool::create(app).value()));
    snapshot_ = snapshot;
    started_ = std::chrono::system_clock::now() - std::chrono::seconds(3725);
  }

  Result<void> reload() override {
    ++reloads;
    if (reload_error) return Error{*reload_error};
    last_reload_ = std::chrono::system_clock::now();
    return {};
  }

  server::ProcessStatus status() const override {
    server::ProcessStatus s;
    s.version = "9.9.9";
    s.config_source = snapshot_->config->source;
    s.started = started_;
    s.last_reload = last_reload_.value_or(started_);
    s.workers = static_cast<unsigned>(counters.size());
    for (const auto& c : counters)
      s.connections_open += c->connections_open.load();
    return s;
  }

  std::shared_ptr<const server::Snapshot> snapshot() const override { return snapshot_; }

  void forEachCounters(
      const std::function<void(const server::TrafficCounters&)>& f) const override {
    for (const auto& c : counters)
      f(*c);
  }

  void backendsChanged() override { ++backends_changed; }

  // The servers of the one pool, for setting their state.
  health::Server& server(size_t i) const { return *snapshot_->pools.at(0)->servers().at(i); }

  std::vector<std::unique_ptr<server::TrafficCounters>> counters;
  std::optional<std::string> reload_error;  // reload() fails with this when set
  int reloads = 0;
  int backends_changed = 0;

 private:
  std::shared_ptr<const server::Snapshot> snapshot_;
  std::chrono::system_clock::time_point started_;
  std::optional<std::chrono::system_clock::time_point> last_reload_;
};

}  // namespace gatehouse::admin::testing
