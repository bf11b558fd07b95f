// GET /cluster: the site as the heartbeats show it (INTERFACE.md).
//   200 {"site", "instance", "redis", "connected", "error", "down_since", "config_digest",
//        "config_mismatches": N,
//        "instances": [{"instance", "address", "version", "started", "uptime_s",
//                       "requests_per_s", "read_only", "config_digest", "config_differs",
//                       "self"}]}
//   409 without a `cluster:` section.
// While Redis is unreachable "instances" is empty: nobody can tell who is alive.
#include <chrono>

#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/cluster_view.h"
#include "admin-api/time_format.h"

namespace gatehouse::admin {

Json clusterNote(const AdminContext& context, bool shared) {
  if (!context.cluster) return nullptr;
  Json note{{"shared", shared}};
  if (!shared)
    note["error"] = "applied on this instance only: Redis " + context.cluster->config().redis +
                    " is unreachable (" + context.cluster->lastError() +
                    "); the other instances get it when Redis is back";
  return note;
}

void addClusterServerFields(Json& server, std::string_view label, bool drained_here,
                            const AdminContext& context) {
  if (!context.cluster) return;
  const cluster::ClusterSync& sync = *context.cluster;
  bool everywhere = drained_here;
  Json others = Json::array();
  for (const nlohmann::json& hb : sync.instances()) {
    const std::string name = hb.value("instance", "");
    if (name == sync.config().instance) continue;
    Json view{{"instance", name}, {"state", "ready"}, {"in_flight", nullptr}};
    const auto servers = hb.find("servers");
    const auto it =
        servers != hb.end() && servers->is_object() ? servers->find(std::string(label)) : hb.end();
    if (servers != hb.end() && it != servers->end() && it->is_object()) {
      view["state"] = it->value("state", "ready");
      view["in_flight"] = it->value("in_flight", int64_t{-1});
    }
    if (view["state"] == "ready" || view["in_flight"] != 0) everywhere = false;
    others.push_back(std::move(view));
  }
  server["instances"] = std::move(others);
  server["drained_everywhere"] = everywhere;
  server["cluster_connected"] = sync.connected();
}

AdminResponse clusterEndpoint(const AdminRequest&, AdminContext& context) {
  if (!context.cluster) return errorResponse(409, "no cluster: section is configured");
  const cluster::ClusterSync& sync = *context.cluster;
  const std::string mine = context.control.snapshot()->config->digest;
  const auto now = std::chrono::system_clock::now();
  Json instances = Json::array();
  for (const nlohmann::json& hb : sync.instances()) {
    const int64_t started = hb.value("started", int64_t{0});
    const auto started_at = std::chrono::system_clock::time_point(std::chrono::seconds(started));
    const std::string digest = hb.value("config_digest", "");
    instances.push_back(Json{
        {"instance", hb.value("instance", "")},
        {"address", hb.value("address", "")},
        {"version", hb.value("version", "")},
        {"started", rfc3339(started_at)},
        {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(now - started_at).count()},
        {"requests_per_s", hb.value("requests_per_s", 0.0)},
        {"read_only", hb.value("read_only", false)},
        {"config_digest", digest},
        {"config_differs", digest != mine},
        {"self", hb.value("instance", "") == sync.config().instance},
    });
  }
  return jsonResponse(
      200, Json{{"site", sync.config().name},
                {"instance", sync.config().instance},
                {"redis", sync.config().redis},
                {"connected", sync.connected()},
                {"error", sync.connected() ? Json(nullptr) : Json(sync.lastError())},
                {"down_since", sync.connected() ? Json(nullptr) : Json(rfc3339(sync.downSince()))},
                {"config_digest", mine},
                {"config_mismatches", sync.configMismatches()},
                {"instances", std::move(instances)}});
}

}  // namespace gatehouse::admin
