#include "admin-api/cluster/process_state.h"

#include <fmt/format.h>

#include <optional>

namespace gatehouse::cluster {
namespace {

using Clock = gate::ReadOnlyState::Clock;

std::optional<health::AdminState> parseState(const nlohmann::json& d) {
  const auto it = d.find("state");
  if (it == d.end() || !it->is_string()) return std::nullopt;
  const std::string s = it->get<std::string>();
  if (s == "ready") return health::AdminState::Ready;
  if (s == "drain") return health::AdminState::Draining;
  if (s == "maint") return health::AdminState::Maintenance;
  return std::nullopt;
}

std::string stringField(const nlohmann::json& d, const char* name) {
  const auto it = d.find(name);
  return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "server/POOL/SERVER" -> POOL, SERVER; "pool/POOL" -> POOL, "".
struct Target {
  std::string_view pool, server;
};
std::optional<Target> parseTarget(std::string_view key, std::string_view kind) {
  if (!key.starts_with(kind) || key.size() <= kind.size() || key[kind.size()] != '/')
    return std::nullopt;
  std::string_view rest = key.substr(kind.size() + 1);
  const size_t slash = rest.find('/');
  if (kind == "pool") {
    if (rest.empty() || slash != std::string_view::npos) return std::nullopt;
    return Target{rest, {}};
  }
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size())
    return std::nullopt;
  return Target{rest.substr(0, slash), rest.substr(slash + 1)};
}

Result<std::string> applyReadOnly(const nlohmann::json& d, gate::ReadOnlyState& state) {
  const auto enabled = d.find("enabled");
  if (enabled == d.end() || !enabled->is_boolean()) return Error{"read_only: no \"enabled\""};
  std::optional<Clock::time_point> since;
  const auto s = d.find("since_ms");
  if (s != d.end() && s->is_number())
    since = Clock::time_point(std::chrono::milliseconds(s->get<int64_t>()));
  const std::string reason = stringField(d, "reason"), message = stringField(d, "message");
  const gate::ReadOnlyState::View before = state.set(enabled->get<bool>(), reason, since, message);
  if (before.enabled == enabled->get<bool>() && before.reason == reason &&
      before.message == message)
    return std::string();
  return fmt::format("read-only {} (reason \"{}\")", enabled->get<bool>() ? "ON" : "off", reason);
}

}  // namespace

nlohmann::json readOnlyData(const gate::ReadOnlyState::View& view) {
  nlohmann::json since = nullptr;
  if (view.since)
    since = std::chrono::duration_cast<std::chrono::milliseconds>(view.since->time_since_epoch())
                .count();
  return {{"enabled", view.enabled},
          {"reason", view.reason},
          {"message", view.message},
          {"since_ms", since}};
}

nlohmann::json serverData(health::AdminState state) {
  return {{"state", std::string(toString(state))}};
}

nlohmann::json poolData(bool paused) {
  return {{"paused", paused}};
}

nlohmann::json currentData(std::string_view key, const server::ProcessControl& control,
                           const gate::ReadOnlyState& read_only) {
  if (key == kReadOnlyKey) return readOnlyData(read_only.view());
  auto snapshot = control.snapshot();
  if (auto t = parseTarget(key, "server")) {
    upstream::BackendPool* pool = snapshot->findPool(t->pool);
    health::Server* s = pool ? pool->findServer(t->server) : nullptr;
    return s ? serverData(s->adminState()) : nlohmann::json();
  }
  if (auto t = parseTarget(key, "pool")) {
    upstream::BackendPool* pool = snapshot->findPool(t->pool);
    return pool ? poolData(pool->paused()) : nlohmann::json();
  }
  return nullptr;
}

Result<std::string> applyRecord(const Record& record, server::ProcessControl& control,
                                gate::ReadOnlyState& read_only) {
  const nlohmann::json& d = record.data;
  if (!d.is_object()) return Error{fmt::format("{}: the data is not an object", record.key)};
  if (record.key == kReadOnlyKey) return applyReadOnly(d, read_only);
  auto snapshot = control.snapshot();
  if (auto t = parseTarget(record.key, "server")) {
    upstream::BackendPool* pool = snapshot->findPool(t->pool);
    health::Server* s = pool ? pool->findServer(t->server) : nullptr;
    if (!s) return Error{fmt::format("{}: no such server here", record.key)};
    auto state = parseState(d);
    if (!state) return Error{fmt::format("{}: no valid \"state\"", record.key)};
    if (s->adminState() == *state) return std::string();
    s->setAdminState(*state);
    control.backendsChanged();
    return fmt::format("{} {}", s->label(), toString(*state));
  }
  if (auto t = parseTarget(record.key, "pool")) {
    upstream::BackendPool* pool = snapshot->findPool(t->pool);
    if (!pool) return Error{fmt::format("{}: no such pool here", record.key)};
    const auto paused = d.find("paused");
    if (paused == d.end() || !paused->is_boolean())
      return Error{fmt::format("{}: no valid \"paused\"", record.key)};
    if (pool->state().paused.exchange(paused->get<bool>()) == paused->get<bool>())
      return std::string();
    control.backendsChanged();
    return fmt::format("pool {} {}", pool->name(), paused->get<bool>() ? "paused" : "resumed");
  }
  return Error{fmt::format("{}: an unknown key", record.key)};
}

Result<size_t> applyPurge(const PurgeEvent& event, const server::ProcessControl& control) {
  auto snapshot = control.snapshot();
  if (!snapshot->cache || !snapshot->cache->store) return Error{"no cache is configured"};
  cache::CacheStore& store = *snapshot->cache->store;
  if (!event.url_key.empty()) return store.purge(event.url_key);
  if (!event.prefix.empty()) return store.banPathPrefix(event.prefix);
  return store.banTag(event.tag);
}

}  // namespace gatehouse::cluster
