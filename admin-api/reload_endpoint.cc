// POST /reload: re-read the config file and certificates, as SIGHUP does. Takes no fields (an
// empty body or {}).
//   200 {"reloaded": true}
//   422 {"error": "FILE:LINE:COL: key: why\n..."}  the running configuration stays
#include "admin-api/endpoint.h"
#include "admin-api/json_body.h"
#include "proxy/base/log.h"

namespace gatehouse::admin {

AdminResponse reloadEndpoint(const AdminRequest& request, AdminContext& context) {
  if (auto body = parseJsonObject(request.body, {}); !body)
    return errorResponse(400, body.error().message);
  // Every change is logged with who asked for it.
  log::info("admin: reload requested by {}", request.client);
  auto reloaded = context.control.reload();
  if (!reloaded) {
    log::warn("admin: reload requested by {} failed; the previous configuration stays",
              request.client);
    return errorResponse(422, reloaded.error().message);
  }
  log::info("admin: reload requested by {} applied", request.client);
  return jsonResponse(200, {{"reloaded", true}});
}

}  // namespace gatehouse::admin
