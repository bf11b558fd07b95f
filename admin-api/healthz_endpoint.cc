// GET /healthz: for the load balancer in front, so it needs no token and says nothing else.
#include "admin-api/endpoint.h"

namespace gatehouse::admin {

AdminResponse healthzEndpoint(const AdminRequest&, AdminContext&) {
  return jsonResponse(200, {{"status", "ok"}});
}

}  // namespace gatehouse::admin
