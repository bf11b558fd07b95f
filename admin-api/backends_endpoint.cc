// The backends of the configuration in force, and the operator's levers on them:
//   GET /backends                        {"pools": [POOL...]}
//   GET /backends/POOL                   POOL: {"name", "balance", "paused", "hold_ms",
//                                               "hold_max", "holding", "in_flight", "servers":
//                                               [..]}
//   GET /backends/POOL/SERVER            SERVER: {"pool", "name", "address", "state", "health",
//                                          "available", "in_flight", "drained", "weight",
//                                          "effective_weight", counters...}
//   PUT /backends/POOL/SERVER {"state": "ready" | "drain" | "maint"}   -> SERVER
//   PUT /backends/POOL {"paused": true | false}                        -> POOL
// Every change is logged with what changed and who asked; the workers hear of it at once
// (ProcessControl::backendsChanged: idle connections to a server taken out close, held
// requests wake up), and it is saved in the state file (section "backends") when one is
// configured: the answers of PUT carry "persisted", and a change that could not be saved is
// applied but answered 500 saying so.
#include <fmt/format.h>

#include <chrono>

#include "admin-api/backend_state_store.h"
#include "admin-api/endpoint.h"
#include "admin-api/json_body.h"
#include "proxy/base/log.h"

namespace gatehouse::admin {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;

Json serverJson(const upstream::BackendPool& pool, const health::Server& s) {
  const auto now = std::chrono::steady_clock::now();
  // Rounded for people: 2 decimals are plenty for a ramp.
  const double effective =
      static_cast<double>(static_cast<int64_t>(s.effectiveWeight(now) * 100 + 0.5)) / 100;
  return Json{
      {"pool", pool.name()},
      {"name", s.name()},
      {"address", s.address().toString()},
      {"state", toString(s.adminState())},
      {"health", toString(s.health())},
      {"checked", pool.healthCheck().has_value()},
      {"available", s.available()},
      {"in_flight", s.inFlight()},
      {"drained", s.drained()},
      {"weight", s.weight()},
      {"effective_weight", effective},
      {"requests", s.requests_total.load(relaxed)},
      {"connect_failures", s.connect_failures_total.load(relaxed)},
      {"checks_passed", s.checks_passed_total.load(relaxed)},
      {"checks_failed", s.checks_failed_total.load(relaxed)},
      {"went_up", s.went_up_total.load(relaxed)},
      {"went_down", s.went_down_total.load(relaxed)},
      {"ejections", s.ejections_total.load(relaxed)},
      {"retries", s.retries_total.load(relaxed)},
  };
}

Json poolJson(const upstream::BackendPool& pool, const config::BackendConfig* config) {
  Json servers = Json::array();
  int64_t in_flight = 0;
  for (const auto& s : pool.servers()) {
    servers.push_back(serverJson(pool, *s));
    in_flight += s->inFlight();
  }
  const upstream::PoolState& st = pool.state();
  return Json{
      {"name", pool.name()},
      {"balance",
       config && config->balance == config::Balance::LeastConn ? "least_conn" : "round_robin"},
      {"paused", pool.paused()},
      {"hold_ms", pool.hold().count()},
      {"hold_max", pool.holdMax()},
      {"holding", st.holding.load(relaxed)},
      {"in_flight", in_flight},
      {"servers", std::move(servers)},
  };
}

struct Found {
  std::shared_ptr<const server::Snapshot> snapshot;  // keeps the pointers below alive
  upstream::BackendPool* pool = nullptr;
  health::Server* server = nullptr;
};

// The pool (and server) the route names, or the 404 to answer.
Result<Found> find(const AdminRequest& request, AdminContext& context, bool want_server) {
  Found f;
  f.snapshot = context.control.snapshot();
  f.pool = f.snapshot->findPool(request.param("pool"));
  if (!f.pool) return Error{fmt::format("no pool \"{}\"", request.param("pool"))};
  if (!want_server) return f;
  f.server = f.pool->findServer(request.param("server"));
  if (!f.server)
    return Error{fmt::format("no server \"{}\" in pool \"{}\"", request.param("server"),
                             request.param("pool"))};
  return f;
}

// Saves the states (always: the file may lack a change made before it became writable) and
// answers `body` with "persisted", or 500 when the save failed.
AdminResponse persisted(Json body, const server::Snapshot& snapshot, AdminContext& context,
                        const std::string& what) {
  body["persisted"] = false;
  if (!context.state_file) return jsonResponse(200, body);
  auto saved = saveBackendStates(snapshot, context.state_file);
  if (!saved) {
    log::error("admin: {} but it was not saved: {}", what, saved.error().message);
    body["error"] = fmt::format("{}, but it could not be saved and a restart would lose it: {}",
                                what, saved.error().message);
    return jsonResponse(500, body);
  }
  body["persisted"] = true;
  return jsonResponse(200, body);
}

}  // namespace

AdminResponse backendsEndpoint(const AdminRequest&, AdminContext& context) {
  auto snapshot = context.control.snapshot();
  Json pools = Json::array();
  for (const auto& pool : snapshot->pools)
    pools.push_back(poolJson(*pool, snapshot->config->findBackend(pool->name())));
  return jsonResponse(200, {{"pools", std::move(pools)}});
}

AdminResponse backendPoolEndpoint(const AdminRequest& request, AdminContext& context) {
  auto found = find(request, context, false);
  if (!found) return errorResponse(404, found.error().message);
  return jsonResponse(
      200, poolJson(*found->pool, found->snapshot->config->findBackend(found->pool->name())));
}

AdminResponse backendServerEndpoint(const AdminRequest& request, AdminContext& context) {
  auto found = find(request, context, true);
  if (!found) return errorResponse(404, found.error().message);
  return jsonResponse(200, serverJson(*found->pool, *found->server));
}

AdminResponse setBackendServerEndpoint(const AdminRequest& request, AdminContext& context) {
  static constexpr FieldSpec kFields[] = {{"state", JsonType::String, true}};
  auto body = parseJsonObject(request.body, kFields);
  if (!body) return errorResponse(400, body.error().message);
  const std::string wanted = (*body)["state"].get<std::string>();
  health::AdminState state;
  if (wanted == "ready")
    state = health::AdminState::Ready;
  else if (wanted == "drain")
    state = health::AdminState::Draining;
  else if (wanted == "maint")
    state = health::AdminState::Maintenance;
  else
    return errorResponse(400, fmt::format("state: expected \"ready\", \"drain\" or \"maint\", got "
                                          "\"{}\"",
                                          wanted));
  auto found = find(request, context, true);
  if (!found) return errorResponse(404, found.error().message);
  health::Server& server = *found->server;
  const health::AdminState before = server.adminState();
  server.setAdminState(state);
  if (before != state) {
    log::info("admin: backend {} state {} -> {} (by {}; in flight {}, health {})", server.label(),
              toString(before), toString(state), request.client, server.inFlight(),
              toString(server.health()));
    context.control.backendsChanged();
  }
  return persisted(serverJson(*found->pool, server), *found->snapshot, context,
                   fmt::format("{} is {}", server.label(), toString(state)));
}

AdminResponse setBackendPoolEndpoint(const AdminRequest& request, AdminContext& context) {
  static constexpr FieldSpec kFields[] = {{"paused", JsonType::Boolean, true}};
  auto body = parseJsonObject(request.body, kFields);
  if (!body) return errorResponse(400, body.error().message);
  auto found = find(request, context, false);
  if (!found) return errorResponse(404, found.error().message);
  const bool paused = (*body)["paused"].get<bool>();
  const bool before = found->pool->state().paused.exchange(paused);
  if (before != paused) {
    log::info("admin: pool {} {} (by {}; hold {} ms)", found->pool->name(),
              paused ? "paused" : "resumed", request.client, found->pool->hold().count());
    if (paused && found->pool->hold().count() == 0)
      log::warn("admin: pool {} has no hold: its requests get 503 while paused",
                found->pool->name());
    context.control.backendsChanged();
  }
  return persisted(
      poolJson(*found->pool, found->snapshot->config->findBackend(found->pool->name())),
      *found->snapshot, context,
      fmt::format("pool {} is {}", found->pool->name(), paused ? "paused" : "serving"));
}

}  // namespace gatehouse::admin
