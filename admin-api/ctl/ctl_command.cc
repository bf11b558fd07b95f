#include "admin-api/ctl/ctl_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>

#include "admin-api/ctl/admin_client.h"
#include "config/loader.h"
#include "proxy/http/status.h"

namespace gatehouse::admin {
namespace {

constexpr std::string_view kDefaultAdmin = "http://127.0.0.1:9901";
constexpr const char* kTokenVariable = "GATEHOUSE_ADMIN_TOKEN";

// "3d 4h 5m 6s", leading zero units left out.
std::string humanDuration(int64_t seconds) {
  std::string out;
  const int64_t parts[] = {seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60};
  const char units[] = {'d', 'h', 'm', 's'};
  for (size_t i = 0; i < 4; ++i) {
    if (parts[i] == 0 && out.empty() && i < 3) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}{}", parts[i], units[i]);
  }
  return out;
}

// j[key] as text for a person, whatever its type; "-" when absent.
std::string field(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  const nlohmann::json& v = j[key];
  return v.is_string() ? v.get<std::string>()
                       : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A number of the answer, or nullopt when absent or null.
std::optional<double> number(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

std::string humanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;
  while (bytes >= 1024 && u + 1 < std::size(units)) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

//   traffic      120.5 req/s, 5xx 0.08% (last 10s)
//   cache        hit 93.0%, 1200 objects, 50.0 MiB of 256.0 MiB, 4 evicted
std::string renderTraffic(const nlohmann::json& s) {
  std::string out;
  const nlohmann::json& t = s.contains("traffic") ? s["traffic"] : nlohmann::json();
  if (auto rate = number(t, "requests_per_s")) {
    out += fmt::format("traffic      {:.1f} req/s, 5xx {:.2f}% (last {:.0f}s)\n", *rate,
                       number(t, "errors_5xx_ratio").value_or(0) * 100,
                       number(t, "window_s").value_or(0));
  } else {
    out += "traffic      - (measured from a second after the start)\n";
  }
  const nlohmann::json& c = s.contains("cache") ? s["cache"] : nlohmann::json();
  if (c.is_object()) {
    auto ratio = number(c, "hit_ratio");
    out += fmt::format("cache        hit {}, {} objects, {} of {}, {} evicted\n",
                       ratio ? fmt::format("{:.1f}%", *ratio * 100) : std::string("-"),
                       field(c, "objects"), humanBytes(number(c, "bytes").value_or(0)),
                       humanBytes(number(c, "capacity_bytes").value_or(0)), field(c, "evicted"));
  }
  return out;
}

//   pool app     serving (2 of 2 up) | degraded (1 of 3 up) | DOWN (no server up) | paused
std::string renderPools(const nlohmann::json& s) {
  if (!s.contains("pools") || !s["pools"].is_array()) return {};
  std::string out;
  for (const auto& p : s["pools"]) {
    const std::string status = field(p, "status");
    std::string text;
    if (status == "down")
      text = fmt::format("DOWN (no server up: 0 of {})", field(p, "servers"));
    else if (status == "paused")
      text = "PAUSED (requests held; ctl resume " + field(p, "name") + ")";
    else
      text = fmt::format("{} ({} of {} up)", status, field(p, "available"), field(p, "servers"));
    out += fmt::format("pool {:<8} {}\n", field(p, "name"), text);
  }
  return out;
}

std::string renderStatus(const nlohmann::json& s) {
  int64_t uptime = s.value("uptime_s", int64_t{0});
  bool read_only = s.contains("read_only") && s["read_only"].is_object() &&
                   s["read_only"].value("enabled", false);
  std::string read_only_text = read_only ? "on" : "off";
  if (read_only) {
    const nlohmann::json& r = s["read_only"];
    if (field(r, "since") != "-") read_only_text += " since " + field(r, "since");
    if (!r.value("reason", std::string()).empty())
      read_only_text += " (" + field(r, "reason") + ")";
  }
  std::string last_reload = field(s, "last_reload");
  return fmt::format(
             "gatehouse {}, up {} (since {})\n"
             "workers      {}\nconnections  {}\nconfig       {}\nlast reload  {}\nread-only    "
             "{}\n",
             field(s, "version"), humanDuration(uptime), field(s, "started"), field(s, "workers"),
             field(s, "connections"), field(s, "config"),
             last_reload == "-" ? "never" : last_reload, read_only_text) +
         renderTraffic(s) + renderPools(s);
}

// GET /cluster for a person (`ctl status --cluster`): one line per live instance; a config
// digest other than this instance's is flagged, since the site relies on identical configs.
std::string renderCluster(const nlohmann::json& c) {
  std::string out = fmt::format(
      "site {}, instance {}, Redis {}: {}\n", field(c, "site"), field(c, "instance"),
      field(c, "redis"),
      c.value("connected", false)
          ? std::string("connected")
          : "UNREACHABLE since " + field(c, "down_since") + " (" + field(c, "error") + ")");
  constexpr std::string_view kRow = "{:<20} {:<22} {:<8} {:>10} {:>8} {:<9} {}\n";
  out += fmt::format(fmt::runtime(kRow), "INSTANCE", "ADDRESS", "VERSION", "UPTIME", "REQ/S",
                     "READ-ONLY", "CONFIG");
  for (const auto& i : c.value("instances", nlohmann::json::array())) {
    std::string name = field(i, "instance") + (i.value("self", false) ? " (this)" : "");
    std::string config = field(i, "config_digest");
    if (i.value("config_differs", false)) config += " DIFFERS";
    out += fmt::format(fmt::runtime(kRow), name, field(i, "address"), field(i, "version"),
                       humanDuration(i.value("uptime_s", int64_t{0})),
                       fmt::format("{:.1f}", i.value("requests_per_s", 0.0)),
                       i.value("read_only", false) ? "ON" : "off", config);
  }
  if (const int64_t n = c.value("config_mismatches", int64_t{0}); n > 0)
    out += fmt::format(
        "warning: {} instance(s) run a configuration other than this one's (config digest)\n", n);
  return out;
}

// GET/PUT /read-only for a person:
//   read-only: ON since 2026-11-25T04:50:00Z (db migration)
//   blocked 17 unsafe requests; allowed prefixes: /api/webhooks/
std::string renderReadOnly(const nlohmann::json& r) {
  const bool on = r.value("enabled", false);
  std::string out = on ? "read-only: ON" : "read-only: off";
  if (field(r, "since") != "-") out += fmt::format(" since {}", field(r, "since"));
  const std::string reason = r.value("reason", std::string());
  if (!reason.empty()) out += fmt::format(" ({})", reason);
  out += '\n';
  const std::string message = r.value("message", std::string());
  if (on && !message.empty()) out += fmt::format("public message: {}\n", message);
  std::string allow;
  if (r.contains("allow") && r["allow"].is_array()) {
    for (const auto& prefix : r["allow"])
      if (prefix.is_string()) allow += (allow.empty() ? "" : ", ") + prefix.get<std::string>();
  }
  out += fmt::format("blocked {} unsafe request(s); allowed prefixes: {}\n", field(r, "blocked"),
                     allow.empty() ? "none" : allow);
  if (r.contains("persisted") && !r.value("persisted", false))
    out += "not saved: no state_file is configured, a restart forgets this\n";
  return out;
}

// 0.0.0.0 and [::] are where the server listens, not where a client connects.
config::Address reachable(config::Address a) {
  if (a.host == "0.0.0.0") a.host = "127.0.0.1";
  if (a.host == "::") a.host = "::1";
  return a;
}

}  // namespace

CtlCommand::CtlCommand(CLI::App& app) {
  ctl_ = app.add_subcommand("ctl", "talk to a running gatehouse through its admin API");
  ctl_->require_subcommand(1);
  ctl_->add_option("--admin", admin_url_,
                   "admin API address: http://HOST:PORT or HOST:PORT (default: admin.address of "
                   "-c CONFIG, else 127.0.0.1:9901)");
  ctl_->add_option("--token-file", token_file_,
                   "file holding the admin token (default: the token of -c CONFIG, else "
                   "$GATEHOUSE_ADMIN_TOKEN)");
  ctl_->add_option("-c,--config", config_path_, "read admin.address and the token from CONFIG");
  ctl_->add_flag("--json", json_, "print the answer's JSON as it came");
  ctl_->footer("Exit codes: 0 done, 1 refused or failed, 2 usage.");

  CLI::App* status = add(
      *ctl_, "status", "version, uptime, workers, connections, read-only", "GET",
      [this] { return std::string(cluster_ ? "/cluster" : "/status"); }, {},
      [this](const nlohmann::json& answer) {
        return cluster_ ? renderCluster(answer) : renderStatus(answer);
      });
  status->add_flag("--cluster", cluster_,
                   "every live instance of the site (cluster:): address, version, uptime, req/s, "
                   "read-only, config digest");
  add(
      *ctl_, "reload", "re-read the config file and certificates (like SIGHUP)", "POST",
      [] { return "/reload"; }, {},
      [](const nlohmann::json&) { return std::string("reloaded\n"); });
  addCacheCommands();
  addBackendCommands();
  addTrafficCommands();

  CLI::App* read_only =
      ctl_->add_subcommand("read-only", "read-only mode: block writes, log everyone out");
  read_only->require_subcommand(1);
  read_only->fallthrough();
  CLI::App* on = add(
      *read_only, "on", "switch read-only mode on", "PUT", [] { return "/read-only"; },
      [this] {
        return nlohmann::json({{"enabled", true}, {"reason", reason_}, {"message", message_}})
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      },
      renderReadOnly);
  on->add_option("--reason", reason_,
                 "why, for operators only: /status and the logs (e.g. \"db migration\")");
  on->add_option("--message", message_,
                 "what the public sees on the 503 (e.g. \"Back at 14:00 UTC\"; default: a "
                 "generic maintenance note)");
  add(
      *read_only, "off", "switch read-only mode off", "PUT", [] { return "/read-only"; },
      [] { return std::string(R"({"enabled": false})"); }, renderReadOnly);
  add(
      *read_only, "status", "show read-only mode", "GET", [] { return "/read-only"; }, {},
      renderReadOnly);
}

CLI::App* CtlCommand::add(CLI::App& parent, const std::string& name, const std::string& help,
                          std::string method, std::function<std::string()> path,
                          std::function<std::string()> body, Render render) {
  CLI::App* command = parent.add_subcommand(name, help);
  // `ctl status --json` as well as `ctl --json status`.
  command->fallthrough();
  commands_.push_back({command,
                       std::move(method),
                       std::move(path),
                       std::move(body),
                       std::move(render),
                       {},
                       {},
                       {}});
  return command;
}

Result<AdminClient> CtlCommand::connect() const {
  std::optional<config::AdminConfig> from_config;
  if (!config_path_.empty()) {
    auto loaded = config::loadAdminConfigFile(config_path_);
    if (!loaded) return loaded.error();
    from_config = std::move(*loaded);
  }
  Result<AdminAddress> address = parseAdminAddress(kDefaultAdmin);
  if (!admin_url_.empty()) {
    address = parseAdminAddress(admin_url_);
  } else if (from_config) {
    config::Address a = reachable(from_config->address);
    address = AdminAddress{a.host, a.port, a.text};
  }
  if (!address) return address.error();

  std::string token;
  if (!token_file_.empty()) {
    auto read = config::readAdminTokenFile(token_file_);
    if (!read) return Error{fmt::format("--token-file: {}", read.error().message)};
    token = std::move(*read);
  } else if (from_config) {
    token = from_config->token;
  } else if (const char* env = std::getenv(kTokenVariable); env && *env) {
    token = env;
  } else {
    return Error{
        fmt::format("no admin token: use --token-file FILE, -c CONFIG or ${}", kTokenVariable)};
  }
  return AdminClient(std::move(*address), std::move(token));
}

int CtlCommand::run() const {
  auto client = connect();
  if (!client) {
    fmt::print(stderr, "gatehouse ctl: {}\n", client.error().message);
    return kUsage;
  }
  for (const Command& command : commands_) {
    if (!command.app->parsed()) continue;
    if (command.custom) return command.custom(*client);
    return call(command, *client);
  }
  fmt::print(stderr, "gatehouse ctl: no command given\n");
  return kUsage;
}

int CtlCommand::call(const Command& command, AdminClient& client) const {
  std::string name = command.app->get_name();
  // "read-only on", not just "on".
  if (command.app->get_parent() != ctl_) name = command.app->get_parent()->get_name() + " " + name;
  auto reply = client.send(command.method, command.path(), command.body ? command.body() : "");
  if (!reply) {
    fmt::print(stderr, "gatehouse ctl {}: {}\n", name, reply.error().message);
    return kFailed;
  }
  // Parsed without exceptions: a reply that is not JSON is shown as it came.
  nlohmann::json answer = nlohmann::json::parse(reply->body, nullptr, false);
  const bool ok = reply->status >= 200 && reply->status < 300;
  if (json_) std::fwrite(reply->body.data(), 1, reply->body.size(), stdout);
  if (!ok) {
    std::string why =
        answer.is_object() && answer.contains("error") ? field(answer, "error") : reply->body;
    // A config error is several FILE:LINE:COL lines: start them on a line of their own.
    fmt::print(stderr, "gatehouse ctl {}: {} {}{}{}\n", name, reply->status,
               http::reasonPhrase(reply->status),
               why.find('\n') == std::string::npos ? ": " : ":\n", why);
    return kFailed;
  }
  if (!json_) {
    std::string text = reply->body;
    // The boundary: a renderer reading an unexpected answer must not end the program.
    try {
      if (!answer.is_discarded()) text = command.render(answer);
    } catch (const std::exception&) {
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::fflush(stdout);
  // A change the instance could not share with the site (cluster:, Redis unreachable) took
  // effect there only: a deploy script must hear of it.
  if (answer.is_object() && answer.contains("cluster") && answer["cluster"].is_object() &&
      !answer["cluster"].value("shared", true)) {
    fmt::print(stderr, "gatehouse ctl {}: {}\n", name, field(answer["cluster"], "error"));
    return kFailed;
  }
  if (command.verdict && !answer.is_discarded())
    if (const int rc = command.verdict(answer); rc != kDone) return rc;
  if (command.then) return command.then(client);
  return kDone;
}

}  // namespace gatehouse::admin
