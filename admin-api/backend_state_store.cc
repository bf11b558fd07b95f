#include "admin-api/backend_state_store.h"

#include <fmt/format.h>

#include "proxy/base/log.h"

namespace gatehouse::admin {
namespace {

std::optional<health::AdminState> parseState(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "ready") return health::AdminState::Ready;
  if (s == "drain") return health::AdminState::Draining;
  if (s == "maint") return health::AdminState::Maintenance;
  return std::nullopt;
}

void restorePool(const std::string& path, const std::string& name, const nlohmann::json& saved,
                 upstream::BackendPool& pool) {
  if (!saved.is_object()) {
    log::error("state file {}: backends.{} is not an object; ignored", path, name);
    return;
  }
  if (auto p = saved.find("paused"); p != saved.end() && p->is_boolean() && p->get<bool>()) {
    pool.state().paused.store(true);
    log::warn("pool {} is PAUSED, restored from {} (ctl resume {} lets requests through)", name,
              path, name);
  }
  if (auto weights = saved.find("weights"); weights != saved.end() && weights->is_object()) {
    for (const auto& [server_name, value] : weights->items()) {
      health::Server* server = pool.findServer(server_name);
      if (!server || !value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > 256) {
        log::warn("state file {}: backends.{}.weights.{}: no such server or not 0..256; ignored",
                  path, name, server_name);
        continue;
      }
      server->setRuntimeWeight(static_cast<uint32_t>(value.get<int64_t>()));
      pool.balancer().weightsChanged();
      log::warn("backend {} has weight {} (config: {}), restored from {}", server->label(),
                server->weight(), server->configWeight(), path);
    }
  }
  auto servers = saved.find("servers");
  if (servers == saved.end() || !servers->is_object()) return;
  for (const auto& [server_name, value] : servers->items()) {
    health::Server* server = pool.findServer(server_name);
    if (!server) {
      log::warn("state file {}: server {}/{} is no longer configured; its state is dropped", path,
                name, server_name);
      continue;
    }
    auto state = parseState(value);
    if (!state) {
      log::error("state file {}: backends.{}.servers.{}: not ready, drain or maint; ignored", path,
                 name, server_name);
      continue;
    }
    if (*state == health::AdminState::Ready) continue;
    server->setAdminState(*state);
    log::warn("backend {} is in state {}, restored from {}", server->label(), toString(*state),
              path);
  }
}

}  // namespace

nlohmann::json backendsSection(const server::Snapshot& snapshot) {
  nlohmann::json section = nlohmann::json::object();
  for (const auto& pool : snapshot.pools) {
    nlohmann::json servers = nlohmann::json::object();
    nlohmann::json weights = nlohmann::json::object();
    for (const auto& s : pool->servers()) {
      servers[s->name()] = std::string(toString(s->adminState()));
      if (s->weightOverridden()) weights[s->name()] = s->weight();
    }
    section[pool->name()] = {{"paused", pool->paused()}, {"servers", std::move(servers)}};
    if (!weights.empty()) section[pool->name()]["weights"] = std::move(weights);
  }
  return section;
}

Result<void> saveBackendStates(const server::Snapshot& snapshot, StateFile* state_file) {
  if (!state_file) return {};
  return state_file->writeSection(kBackendsSection, backendsSection(snapshot));
}

void restoreBackendStates(const StateFile* state_file, const server::Snapshot& snapshot) {
  if (!state_file) return;
  const nlohmann::json* section = state_file->section(kBackendsSection);
  if (!section) return;
  if (!section->is_object()) {
    log::error("state file {}: section backends is not an object; ignored", state_file->path());
    return;
  }
  for (const auto& [name, saved] : section->items()) {
    upstream::BackendPool* pool = snapshot.findPool(name);
    if (!pool) {
      log::warn("state file {}: pool {} is no longer configured; its state is dropped",
                state_file->path(), name);
      continue;
    }
    restorePool(state_file->path(), name, saved, *pool);
  }
}

}  // namespace gatehouse::admin
