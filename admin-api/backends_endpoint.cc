// The backends of the configuration in force, and the operator's levers on them:
//   GET /backends                        {"pools": [POOL...]}
//   GET /backends/POOL                   POOL: {"name", "balance", "paused", "hold_ms",
//                                               "hold_max", "holding", "in_flight", "servers":
//                                               [..]}
//   GET /backends/POOL/SERVER            SERVER: {"pool", "name", "address", "state", "health",
//                                          "available", "in_flight", "drained", "weight",
//                                          "effective_weight", counters...}
//   PUT /backends/POOL/SERVER {"state": "ready" | "drain" | "maint", "weight": 0..256}  -> SERVER
//     (either or both; a weight other than the config's stays in force across reloads and, with
//     a state file, restarts; the config's own value clears it)
//   PUT /backends/POOL {"paused": true | false}                        -> POOL
// Every change is logged with what changed and who asked; the workers hear of it at once
// (ProcessControl::backendsChanged: idle connections to a server taken out close, held
// requests wake up), and it is saved in the state file (section "backends") when one is
// configured: the answers of PUT carry "persisted", and a change that could not be saved is
// applied but answered 500 saying so.
#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "admin-api/backend_state_store.h"
#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/cluster_view.h"
#include "admin-api/endpoint.h"
#include "admin-api/json_body.h"
#include "admin-api/pool_summary.h"
#include "admin-api/traffic_history.h"
#include "proxy/base/log.h"

namespace gatehouse::admin {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;
constexpr int64_t kMaxWeight = 256;  // as config/backends.cc takes it

// What the last seconds say of a server: requests/s, 5xx/s, response-time p50/p99, and its last
// check. Null fields until there is something to say.
void addLiveFields(Json& j, const health::Server& s, const TrafficHistory* history) {
  const int8_t passed = s.last_check_passed.load(relaxed);
  j["last_check"] =
      passed < 0 ? Json(nullptr)
                 : Json{{"passed", passed == 1}, {"ms", s.last_check_us.load(relaxed) / 1000.0}};
  std::optional<TrafficHistory::ServerWindow> w;
  if (history) w = history->server(s.label());
  const auto rate = [&](uint64_t n) {
    return w && w->seconds > 0 ? Json(static_cast<double>(n) / w->seconds) : Json(nullptr);
  };
  j["requests_per_s"] = rate(w ? w->requests : 0);
  j["errors_5xx_per_s"] = rate(w ? w->errors_5xx : 0);
  const auto ms = [&](double q) {
    auto v = w ? TrafficHistory::quantile(*w, q) : std::nullopt;
    return v ? Json(*v * 1000) : Json(nullptr);
  };
  j["p50_ms"] = ms(0.5);
  j["p99_ms"] = ms(0.99);
}

Json serverJson(const upstream::BackendPool& pool, const health::Server& s,
                const AdminContext* context = nullptr) {
  const TrafficHistory* history = context ? context->history : nullptr;
  const auto now = std::chrono::steady_clock::now();
  // Rounded for people: 2 decimals are plenty for a ramp.
  const double effective =
      static_cast<double>(static_cast<int64_t>(s.effectiveWeight(now) * 100 + 0.5)) / 100;
  Json j{
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
      {"config_weight", s.configWeight()},
      {"effective_weight", effective},
      {"requests", s.requests_total.load(relaxed)},
      {"connect_failures", s.connect_failures_total.load(relaxed)},
      {"checks_passed", s.checks_passed_total.load(relaxed)},
      {"checks_failed", s.checks_failed_total.load(relaxed)},
      {"went_up", s.went_up_total.load(relaxed)},
      {"went_down", s.went_down_total.load(relaxed)},
      {"ejections", s.ejections_total.load(relaxed)},
      {"retries", s.retries_total.load(relaxed)},
      {"responses_5xx", s.responses_5xx_total.load(relaxed)},
  };
  addLiveFields(j, s, history);
  if (context) addClusterServerFields(j, s.label(), s.drained(), *context);
  return j;
}

Json poolJson(const upstream::BackendPool& pool, const config::BackendConfig* config,
              const AdminContext* context = nullptr) {
  Json servers = Json::array();
  int64_t in_flight = 0;
  for (const auto& s : pool.servers()) {
    servers.push_back(serverJson(pool, *s, context));
    in_flight += s->inFlight();
  }
  const upstream::PoolState& st = pool.state();
  const PoolSummary summary = summarize(pool);
  return Json{
      {"name", pool.name()},
      {"status", summary.status},
      {"available", summary.available},
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
    pools.push_back(poolJson(*pool, snapshot->config->findBackend(pool->name()), &context));
  return jsonResponse(200, {{"pools", std::move(pools)}});
}

AdminResponse backendPoolEndpoint(const AdminRequest& request, AdminContext& context) {
  auto found = find(request, context, false);
  if (!found) return errorResponse(404, found.error().message);
  return jsonResponse(
      200,
      poolJson(*found->pool, found->snapshot->config->findBackend(found->pool->name()), &context));
}

AdminResponse backendServerEndpoint(const AdminRequest& request, AdminContext& context) {
  auto found = find(request, context, true);
  if (!found) return errorResponse(404, found.error().message);
  return jsonResponse(200, serverJson(*found->pool, *found->server, &context));
}

namespace {

// The state a PUT asks for, or the 400 to answer.
Result<health::AdminState> parseAdminState(const std::string& wanted) {
  if (wanted == "ready") return health::AdminState::Ready;
  if (wanted == "drain") return health::AdminState::Draining;
  if (wanted == "maint") return health::AdminState::Maintenance;
  return Error{fmt::format(R"(state: expected "ready", "drain" or "maint", got "{}")", wanted)};
}

// A weight as the config takes it: a whole number 0..256.
Result<uint32_t> parseWeight(const Json& v) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxWeight)
    return Error{fmt::format("weight: expected a whole number 0..{}", kMaxWeight)};
  return static_cast<uint32_t>(v.get<int64_t>());
}

}  // namespace

AdminResponse setBackendServerEndpoint(const AdminRequest& request, AdminContext& context) {
  static constexpr FieldSpec kFields[] = {{"state", JsonType::String},
                                          {"weight", JsonType::Number}};
  auto body = parseJsonObject(request.body, kFields);
  if (!body) return errorResponse(400, body.error().message);
  if (!body->contains("state") && !body->contains("weight"))
    return errorResponse(400, R"(expected "state" or "weight" (or both))");
  std::optional<health::AdminState> state;
  if (body->contains("state")) {
    auto parsed = parseAdminState((*body)["state"].get<std::string>());
    if (!parsed) return errorResponse(400, parsed.error().message);
    state = *parsed;
  }
  std::optional<uint32_t> weight;
  if (body->contains("weight")) {
    auto parsed = parseWeight((*body)["weight"]);
    if (!parsed) return errorResponse(400, parsed.error().message);
    weight = *parsed;
  }
  auto found = find(request, context, true);
  if (!found) return errorResponse(404, found.error().message);
  health::Server& server = *found->server;
  std::string what;
  bool changed = false;
  // Unchanged: nothing is sent; the answer says whether the site can hear this instance.
  bool shared = context.cluster == nullptr || context.cluster->connected();
  if (state) {
    const health::AdminState before = server.adminState();
    server.setAdminState(*state);
    if (before != *state) {
      changed = true;
      log::info("admin: backend {} state {} -> {} (by {}; in flight {}, health {})", server.label(),
                toString(before), toString(*state), request.client, server.inFlight(),
                toString(server.health()));
      if (context.cluster)
        shared = context.cluster->serverStateChanged(found->pool->name(), server.name(), *state);
    }
    what = fmt::format("{} is {}", server.label(), toString(*state));
  }
  if (weight) {
    const uint32_t before = server.weight();
    server.setRuntimeWeight(*weight);
    found->pool->balancer().weightsChanged();
    if (before != *weight) {
      changed = true;
      log::info("admin: backend {} weight {} -> {} (by {}; config says {})", server.label(), before,
                *weight, request.client, server.configWeight());
    }
    what += fmt::format("{}{} has weight {}", what.empty() ? "" : "; ", server.label(), *weight);
  }
  // Weight 0 makes a server unavailable, another weight may make it available: workers hear of
  // every change (held requests may go, idle connections to a server taken out close); setting
  // what is already set tells nobody.
  if (changed) context.control.backendsChanged();
  Json answer = serverJson(*found->pool, server);
  if (context.cluster) answer["cluster"] = clusterNote(context, shared);
  return persisted(std::move(answer), *found->snapshot, context, what);
}

AdminResponse setBackendPoolEndpoint(const AdminRequest& request, AdminContext& context) {
  static constexpr FieldSpec kFields[] = {{"paused", JsonType::Boolean, true}};
  auto body = parseJsonObject(request.body, kFields);
  if (!body) return errorResponse(400, body.error().message);
  auto found = find(request, context, false);
  if (!found) return errorResponse(404, found.error().message);
  const bool paused = (*body)["paused"].get<bool>();
  const bool before = found->pool->state().paused.exchange(paused);
  // Unchanged: nothing is sent; the answer says whether the site can hear this instance.
  bool shared = context.cluster == nullptr || context.cluster->connected();
  if (before != paused) {
    if (context.cluster) shared = context.cluster->poolPauseChanged(found->pool->name(), paused);
    log::info("admin: pool {} {} (by {}; hold {} ms)", found->pool->name(),
              paused ? "paused" : "resumed", request.client, found->pool->hold().count());
    if (paused && found->pool->hold().count() == 0)
      log::warn("admin: pool {} has no hold: its requests get 503 while paused",
                found->pool->name());
    context.control.backendsChanged();
  }
  Json answer = poolJson(*found->pool, found->snapshot->config->findBackend(found->pool->name()));
  if (context.cluster) answer["cluster"] = clusterNote(context, shared);
  return persisted(
      std::move(answer), *found->snapshot, context,
      fmt::format("pool {} is {}", found->pool->name(), paused ? "paused" : "serving"));
}

}  // namespace gatehouse::admin
