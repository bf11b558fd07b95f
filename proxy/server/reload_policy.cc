#include "proxy/server/reload_policy.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace gatehouse::server {
namespace {

constexpr ReloadRule kRules[] = {
    {"workers", OnReload::NeedsRestart, ""},
    {"shutdown_grace", OnReload::Applies, ""},
    {"state_file", OnReload::NeedsRestart, ""},
    {"listeners", OnReload::PartlyApplies,
     "adding, removing or moving a listener, or switching its TLS on or off"},
    {"admin", OnReload::PartlyApplies, "adding or removing the section, or moving admin.address"},
    {"forward", OnReload::Applies, ""},
    {"backends", OnReload::Applies, ""},
    {"static", OnReload::Applies, ""},
    {"cache", OnReload::Applies, ""},
    {"read_only", OnReload::Applies, ""},
    {"routes", OnReload::Applies, ""},
    {"timeouts", OnReload::Applies, ""},
    {"limits", OnReload::Applies, ""},
    {"log", OnReload::Applies, ""},
    {"http2", OnReload::Applies, ""},
    {"cluster", OnReload::NeedsRestart, ""},
};

// "FILE:LINE:COL: key" of `key` in `config`'s file, or of its parent when the file leaves the
// key out (a removed `admin:` points at nothing, so at the file).
std::string where(const config::Config& config, std::string_view key) {
  for (std::string_view k = key;;) {
    auto it = config.key_origins.find(k);
    if (it != config.key_origins.end()) return fmt::format("{}: {}", it->second, key);
    const size_t dot = k.rfind('.');
    if (dot == std::string_view::npos) return fmt::format("{}: {}", config.source, key);
    k = k.substr(0, dot);
  }
}

std::string needsRestart(const config::Config& next, std::string_view key, std::string_view why) {
  return fmt::format("{}: needs a restart ({})", where(next, key), why);
}

std::string_view orNone(const std::string& s) {
  return s.empty() ? std::string_view("none") : std::string_view(s);
}

// Listening sockets are bound once at start: adding, removing or moving one (or switching
// TLS on or off) needs a restart. The error points at the first listener that differs.
void checkListeners(const config::Config& running, const config::Config& next,
                    std::vector<std::string>& out) {
  const auto& now = running.listeners;
  const auto& then = next.listeners;
  for (size_t i = 0; i < now.size() && i < then.size(); ++i) {
    if (now[i].address == then[i].address && now[i].tls.has_value() == then[i].tls.has_value())
      continue;
    out.push_back(
        fmt::format("{}: changed from {}{} to {}{}; listeners are bound at start: restart to apply",
                    then[i].origin, now[i].address.text, now[i].tls ? " (TLS)" : "",
                    then[i].address.text, then[i].tls ? " (TLS)" : ""));
    return;
  }
  if (then.size() > now.size()) {
    out.push_back(fmt::format("{}: a new listener; listeners are bound at start: restart to apply",
                              then[now.size()].origin));
  } else if (then.size() < now.size()) {
    out.push_back(fmt::format(
        "{}: the last listener now; {} listener(s) after it were removed; listeners are bound "
        "at start: restart to apply",
        then.back().origin, now.size() - then.size()));
  }
}

void checkAdmin(const config::Config& running, const config::Config& next,
                std::vector<std::string>& out) {
  if (running.admin.has_value() != next.admin.has_value()) {
    out.push_back(needsRestart(
        next, "admin",
        next.admin ? "the admin API was off at start" : "the admin API is running; removing it"));
    return;
  }
  if (running.admin && running.admin->address != next.admin->address) {
    out.push_back(needsRestart(
        next, "admin.address",
        fmt::format("listening on {}, the file says {}; `ctl -c` would follow the file",
                    running.admin->address.text, next.admin->address.text)));
  }
}

}  // namespace

std::span<const ReloadRule> reloadRules() {
  return kRules;
}

Result<void> checkReloadable(const config::Config& running, const config::Config& next) {
  std::vector<std::string> refusals;
  if (running.workers != next.workers) {
    refusals.push_back(needsRestart(
        next, "workers", fmt::format("{} running, {} in the file", running.workers, next.workers)));
  }
  if (running.state_file != next.state_file) {
    refusals.push_back(
        needsRestart(next, "state_file",
                     fmt::format("in use: {}, the file says {}", orNone(running.state_file),
                                 orNone(next.state_file))));
  }
  if (running.cluster != next.cluster) {
    refusals.push_back(needsRestart(
        next, "cluster",
        running.cluster ? (next.cluster ? "Redis, the site and the instance are set at start"
                                        : "the cluster sync is running; removing it")
                        : "the cluster sync was off at start"));
  }
  checkListeners(running, next, refusals);
  checkAdmin(running, next, refusals);
  if (refusals.empty()) return {};
  std::string text;
  for (const std::string& line : refusals) {
    if (!text.empty()) text += '\n';
    text += line;
  }
  return Error{std::move(text)};
}

}  // namespace gatehouse::server
