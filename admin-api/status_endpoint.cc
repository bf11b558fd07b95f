// GET /status: what `ctl status` shows.
//   {"version": "0.1.0", "uptime_s": 3600, "started": "2026-11-25T04:50:00Z", "workers": 2,
//    "connections": 17, "config": "/etc/gatehouse/gatehouse.yaml",
//    "last_reload": null | "2026-11-25T05:00:00Z",
//    "read_only": {"enabled": true, "reason": "db migration", "since": "2026-11-25T05:10:00Z"}}
#include <chrono>

#include "admin-api/endpoint.h"
#include "admin-api/time_format.h"

namespace gatehouse::admin {
namespace {

Json readOnlyStatus(const gate::ReadOnlyState::View& view) {
  return {{"enabled", view.enabled},
          {"reason", view.reason},
          {"since", view.since ? Json(rfc3339(*view.since)) : Json(nullptr)}};
}

}  // namespace

AdminResponse statusEndpoint(const AdminRequest&, AdminContext& context) {
  const server::ProcessStatus s = context.control.status();
  const auto uptime = std::chrono::system_clock::now() - s.started;
  // ProcessStatus says last_reload == started until a reload: show "never" as null.
  Json last_reload = nullptr;
  if (s.last_reload != s.started) last_reload = rfc3339(s.last_reload);
  return jsonResponse(
      200, {
               {"version", s.version},
               {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
               {"started", rfc3339(s.started)},
               {"workers", s.workers},
               {"connections", s.connections_open},
               {"config", s.config_source},
               {"last_reload", last_reload},
               {"read_only", readOnlyStatus(context.read_only.view())},
           });
}

}  // namespace gatehouse::admin
