#pragma once
// What an admin endpoint sees and returns. Endpoints are plain synchronous functions on the
// main loop: every admin action is quick (a reload re-reads a few files), and long waits such as
// `ctl drain --wait` are the client's to poll.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/gate/read_only_state.h"
#include "proxy/http/exchange.h"
#include "proxy/server/process_control.h"

namespace gatehouse::cluster {
class ClusterSync;
}

namespace gatehouse::admin {

struct AdminRequest {
  std::string method;
  std::string path;    // without the query
  std::string query;   // after '?', empty when none
  std::string client;  // "ip:port", for the log lines of changes
  std::string body;    // at most kMaxBodyBytes (json_body.h)
  std::string cookie;  // the Cookie field (the status page's session)
  // The `:name` segments of the route that matched, in order ("/backends/:pool" -> {"pool", x}).
  std::vector<std::pair<std::string, std::string>> params;

  // The value of route parameter `name`, or empty.
  std::string_view param(std::string_view name) const {
    for (const auto& [key, value] : params)
      if (key == name) return value;
    return {};
  }
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and framing
  // A stream instead of `body` (GET /tail): called once the head is sent, it keeps writing to
  // the exchange for as long as what it returns is kept (until the client leaves).
  std::function<std::shared_ptr<void>(http::Exchange&)> open_stream;
};

// Answers keep their fields in the order written (not sorted), so that they read well in curl.
using Json = nlohmann::ordered_json;

// `body` as compact JSON and a newline (for people reading curl output). Strings that are not
// UTF-8 are replaced, never thrown about.
AdminResponse jsonResponse(int status, const Json& body);
// {"error": message}
AdminResponse errorResponse(int status, std::string_view message);

// The admin API's own counters (main loop only, so plain integers).
struct AdminCounters {
  uint64_t requests = 0;
  uint64_t unauthorized = 0;
  uint64_t connections_refused = 0;  // admin.max_connections reached
  uint64_t connections_evicted = 0;  // closed to keep admin.max_unauthenticated
};

class BearerAuth;
class SessionStore;
class StateFile;
class TailHub;
class TrafficHistory;

// What endpoints may use: the process, and the admin API's counters for /metrics.
struct AdminContext {
  server::ProcessControl& control;
  const AdminCounters& counters;
  // Where changes are persisted (state_file:); nullptr when none is configured.
  StateFile* state_file = nullptr;
  gate::ReadOnlyState& read_only = gate::ReadOnlyState::process();
  // The last 15 minutes, one sample a second; nullptr in tests that do not sample.
  const TrafficHistory* history = nullptr;
  // Where GET /tail subscribes; nullptr in tests without a loop.
  TailHub* tails = nullptr;
  // The status page's logins (POST /login, /logout); nullptr in tests without them.
  SessionStore* sessions = nullptr;
  const BearerAuth* auth = nullptr;
  std::chrono::milliseconds session_ttl{12 * 3600 * 1000};
  // The cluster sync (`cluster:`); nullptr without one: changes stay on this instance.
  cluster::ClusterSync* cluster = nullptr;
};

using Endpoint = std::function<AdminResponse(const AdminRequest&, AdminContext&)>;

// One function per endpoint file (healthz_endpoint.cc, status_endpoint.cc, ...).
AdminResponse healthzEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse statusEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse reloadEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse metricsEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse cachePurgeEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse cacheBanEndpoint(const AdminRequest& request, AdminContext& context);
// backends_endpoint.cc: GET /backends, GET|PUT /backends/:pool, GET|PUT /backends/:pool/:server.
AdminResponse backendsEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse backendPoolEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse backendServerEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse setBackendPoolEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse setBackendServerEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse readOnlyGetEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse readOnlyPutEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse tailEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse historyEndpoint(const AdminRequest& request, AdminContext& context);
// cluster_endpoint.cc: GET /cluster, the site's live instances from their heartbeats.
AdminResponse clusterEndpoint(const AdminRequest& request, AdminContext& context);
// What a change's answer says of its sharing: {"shared": bool, "error": why when not}; null
// without a cluster. `shared` is what ClusterSync's *Changed() returned.
Json clusterNote(const AdminContext& context, bool shared);
// status_page.cc: GET / (the page itself, public: it holds no data), POST /login, POST /logout.
AdminResponse statusPageEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse loginEndpoint(const AdminRequest& request, AdminContext& context);
AdminResponse logoutEndpoint(const AdminRequest& request, AdminContext& context);
// The body of GET /metrics (Prometheus text), apart from the endpoint for tests.
std::string renderMetrics(const server::ProcessControl& control, const AdminCounters& counters,
                          const gate::ReadOnlyState& read_only = gate::ReadOnlyState::process(),
                          const cluster::ClusterSync* cluster = nullptr);

}  // namespace gatehouse::admin
