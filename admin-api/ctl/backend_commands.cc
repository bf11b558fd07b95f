// `ctl backends [POOL | POOL/SERVER]`, `ctl drain POOL/SERVER [--wait D]`, `ctl ready|maint
// POOL/SERVER`, `ctl pause POOL [--wait D]`, `ctl resume POOL` (INTERFACE.md). Waiting is the
// client's job: it polls the server's (or pool's) state until nothing is in flight there.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "admin-api/ctl/admin_client.h"
#include "admin-api/ctl/ctl_command.h"
#include "config/units.h"

namespace gatehouse::admin {
namespace {

// Often enough that a deploy script does not wait for nothing, rarely enough to cost nothing.
constexpr std::chrono::milliseconds kPollInterval{100};

std::string text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  const nlohmann::json& v = j[key];
  return v.is_string() ? v.get<std::string>()
                       : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr std::string_view kHeader = "{:<24} {:<6} {:<6} {:>9} {:>6} {:>9}  {}\n";

std::string serverLine(const nlohmann::json& s) {
  std::string weight = text(s, "weight");
  if (s.contains("config_weight") && s["config_weight"] != s["weight"])
    weight += "*";  // the operator's weight, not the config's
  return fmt::format(fmt::runtime(kHeader), text(s, "pool") + "/" + text(s, "name"),
                     text(s, "state"), text(s, "health"), text(s, "in_flight"), weight,
                     text(s, "requests"), text(s, "address"));
}

std::string header() {
  return fmt::format(fmt::runtime(kHeader), "SERVER", "STATE", "HEALTH", "IN-FLIGHT", "WEIGHT",
                     "REQUESTS", "ADDRESS");
}

std::string poolSummary(const nlohmann::json& p) {
  std::string out =
      fmt::format("pool {}: {}, {} in flight", text(p, "name"),
                  p.value("paused", false) ? "PAUSED" : "serving", text(p, "in_flight"));
  if (p.value("holding", int64_t{0}) > 0) out += fmt::format(", {} held", text(p, "holding"));
  return out + "\n";
}

std::string renderPools(const nlohmann::json& answer) {
  std::string out = header();
  std::string summaries;
  for (const auto& pool : answer.at("pools")) {
    for (const auto& s : pool.at("servers"))
      out += serverLine(s);
    summaries += poolSummary(pool);
  }
  return out + summaries;
}

std::string renderPool(const nlohmann::json& pool) {
  std::string out = header();
  for (const auto& s : pool.at("servers"))
    out += serverLine(s);
  return out + poolSummary(pool);
}

std::string renderServer(const nlohmann::json& s) {
  return fmt::format(
      "{}/{}  {}\nstate      {}\nhealth     {}\nin flight  {}\ndrained    {}\nweight     {} "
      "(now {})\nrequests   {}\n",
      text(s, "pool"), text(s, "name"), text(s, "address"), text(s, "state"), text(s, "health"),
      text(s, "in_flight"), text(s, "drained"), text(s, "weight"), text(s, "effective_weight"),
      text(s, "requests"));
}

// "app/app1" -> "/backends/app/app1"; "app" -> "/backends/app". Checked by the validators.
std::string backendPath(const std::string& target) {
  return "/backends/" + target;
}

std::string serverTargetError(const std::string& value) {
  const size_t slash = value.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == value.size() ||
      value.find('/', slash + 1) != std::string::npos)
    return fmt::format("expected POOL/SERVER, got \"{}\"", value);
  return {};
}

std::string poolTargetError(const std::string& value) {
  if (value.empty() || value.find('/') != std::string::npos)
    return fmt::format("expected a pool name, got \"{}\"", value);
  return {};
}

std::string durationError(const std::string& value) {
  auto d = config::parseDuration(value);
  return d ? std::string() : d.error().message;
}

std::string stateBody(const char* state) {
  return fmt::format(R"({{"state": "{}"}})", state);
}

}  // namespace

int CtlCommand::waitFor(const AdminClient& client, const std::string& what, const std::string& path,
                        const std::function<bool(const nlohmann::json&)>& done,
                        const std::function<std::string(const nlohmann::json&)>& pending) const {
  if (wait_.empty()) return kDone;
  const auto limit = config::parseDuration(wait_).value();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  nlohmann::json last;
  while (true) {
    auto reply = client.send("GET", path);
    if (!reply) {
      fmt::print(stderr, "gatehouse ctl: waiting for {}: {}\n", what, reply.error().message);
      return kFailed;
    }
    last = nlohmann::json::parse(reply->body, nullptr, false);
    if (reply->status != 200 || last.is_discarded()) {
      fmt::print(stderr, "gatehouse ctl: waiting for {}: {} {}\n", what, reply->status,
                 reply->body);
      return kFailed;
    }
    if (done(last)) {
      if (!json_) fmt::print("{}: {}\n", what, "drained");
      return kDone;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);  // polling an HTTP API: nothing to wait on
  }
  fmt::print(stderr, "gatehouse ctl: {} not drained after {}: {}\n", what, wait_, pending(last));
  return kFailed;
}

void CtlCommand::addBackendCommands() {
  CLI::App* backends = add(
      *ctl_, "backends", "pools and servers: state, health, in-flight, weights", "GET",
      [this] { return target_.empty() ? std::string("/backends") : backendPath(target_); }, {},
      [this](const nlohmann::json& answer) {
        if (target_.empty()) return renderPools(answer);
        return target_.find('/') == std::string::npos ? renderPool(answer) : renderServer(answer);
      });
  backends->add_option("target", target_, "POOL or POOL/SERVER (default: everything)");

  const auto server_arg = [this](CLI::App* cmd) {
    cmd->add_option("server", target_, "POOL/SERVER")
        ->required()
        ->check(CLI::Validator(serverTargetError, "POOL/SERVER"));
  };
  const auto pool_arg = [this](CLI::App* cmd) {
    cmd->add_option("pool", target_, "POOL")
        ->required()
        ->check(CLI::Validator(poolTargetError, "POOL"));
  };
  const auto wait_opt = [this](CLI::App* cmd, const char* help) {
    cmd->add_option("--wait", wait_, help)->check(CLI::Validator(durationError, "DURATION"));
  };

  CLI::App* drain = add(
      *ctl_, "drain", "stop sending new requests to a server; in-flight ones finish", "PUT",
      [this] { return backendPath(target_); }, [] { return stateBody("drain"); },
      [](const nlohmann::json& s) {
        return fmt::format("{}/{}: drain ({} in flight)\n", text(s, "pool"), text(s, "name"),
                           text(s, "in_flight"));
      });
  server_arg(drain);
  wait_opt(drain, "then wait until nothing is in flight there (exit 1 at the deadline)");
  commands_.back().then = [this](const AdminClient& client) {
    return waitFor(
        client, target_, backendPath(target_),
        // With a cluster, drained on every live instance of the site.
        [](const nlohmann::json& s) {
          return s.contains("drained_everywhere") ? s.value("drained_everywhere", false)
                                                  : s.value("drained", false);
        },
        [](const nlohmann::json& s) {
          std::string out = fmt::format("{} request(s) still in flight, state {}",
                                        text(s, "in_flight"), text(s, "state"));
          if (s.contains("instances") && s["instances"].is_array())
            for (const auto& i : s["instances"])
              out += fmt::format("; on {}: {}, {} in flight", text(i, "instance"), text(i, "state"),
                                 text(i, "in_flight"));
          return out;
        });
  };

  CLI::App* ready = add(
      *ctl_, "ready", "send requests to a server again (after slow start, once healthy)", "PUT",
      [this] { return backendPath(target_); }, [] { return stateBody("ready"); },
      [](const nlohmann::json& s) {
        std::string out = fmt::format("{}/{}: ready (health {})\n", text(s, "pool"),
                                      text(s, "name"), text(s, "health"));
        if (text(s, "health") != "up")
          out += "note: it gets requests once its health checks pass\n";
        return out;
      });
  server_arg(ready);

  CLI::App* maint = add(
      *ctl_, "maint", "take a server out at once (in-flight requests still finish)", "PUT",
      [this] { return backendPath(target_); }, [] { return stateBody("maint"); },
      [](const nlohmann::json& s) {
        return fmt::format("{}/{}: maint ({} in flight)\n", text(s, "pool"), text(s, "name"),
                           text(s, "in_flight"));
      });
  server_arg(maint);

  CLI::App* pause = add(
      *ctl_, "pause", "hold new requests to a pool (up to its hold) while it restarts", "PUT",
      [this] { return backendPath(target_); }, [] { return std::string(R"({"paused": true})"); },
      [](const nlohmann::json& p) {
        std::string out = fmt::format(
            "pool {}: paused ({} in flight; new requests wait up to "
            "{} ms)\n",
            text(p, "name"), text(p, "in_flight"), text(p, "hold_ms"));
        if (p.value("hold_ms", int64_t{0}) == 0)
          out += "warning: the pool has no hold: its requests get 503 while paused\n";
        return out;
      });
  pool_arg(pause);
  wait_opt(pause, "then wait until nothing is in flight in the pool (exit 1 at the deadline)");
  commands_.back().then = [this](const AdminClient& client) {
    return waitFor(
        client, "pool " + target_, backendPath(target_),
        [](const nlohmann::json& p) { return p.value("in_flight", int64_t{1}) == 0; },
        [](const nlohmann::json& p) {
          return fmt::format("{} request(s) still in flight", text(p, "in_flight"));
        });
  };

  CLI::App* resume = add(
      *ctl_, "resume", "let a paused pool's requests through again", "PUT",
      [this] { return backendPath(target_); }, [] { return std::string(R"({"paused": false})"); },
      [](const nlohmann::json& p) {
        return fmt::format("pool {}: resumed ({} held requests go now)\n", text(p, "name"),
                           text(p, "holding"));
      });
  pool_arg(resume);

  CLI::App* weight = add(
      *ctl_, "weight", "set a server's weight (0..256) until changed back; kept in the state file",
      "PUT", [this] { return backendPath(target_); },
      [this] { return fmt::format(R"({{"weight": {}}})", weight_); },
      [](const nlohmann::json& s) {
        return fmt::format("{}/{}: weight {} (config: {})\n", text(s, "pool"), text(s, "name"),
                           text(s, "weight"), text(s, "config_weight"));
      });
  server_arg(weight);
  weight->add_option("weight", weight_, "0..256 (the config's value clears the override)")
      ->required()
      ->check(CLI::Range(0, 256));
}

}  // namespace gatehouse::admin
