// GET /healthz: for the load balancer in front, so it needs no token and says nothing else.
// 503 once a graceful stop has begun, so the balancer stops sending before the listeners go.
#include "admin-api/endpoint.h"

namespace gatehouse::admin {

AdminResponse healthzEndpoint(const AdminRequest&, AdminContext& context) {
  if (context.control.status().stopping) return jsonResponse(503, {{"status", "stopping"}});
  return jsonResponse(200, {{"status", "ok"}});
}

}  // namespace gatehouse::admin
