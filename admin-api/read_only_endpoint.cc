// GET /read-only, PUT /read-only: read-only mode (INTERFACE.md).
//   GET  -> {"enabled": true, "reason": "db migration", "since": "2026-11-25T04:50:00Z",
//            "retry_after_s": 300, "min_ttl_s": 60, "allow": ["/api/webhooks/"],
//            "blocked": 17, "state_file": "/var/lib/gatehouse/state.json" | null}
//   PUT {"enabled": true, "reason": "db migration", "message": "Back at 14:00"}
//     ("reason", for operators only, and "message", what the public sees, are optional; other
//     fields -> 400)
//     200 -> the GET answer plus "changed": bool, "persisted": bool
//     500 -> the switch took effect but could not be saved to the state file: a restart would
//            lose it. The mode stays as asked (blocking writes matters more than remembering
//            it), and the answer says so.
// Every change is logged with what changed and the client's address.
#include <fmt/format.h>

#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/endpoint.h"
#include "admin-api/json_body.h"
#include "admin-api/read_only_persistence.h"
#include "admin-api/state_file.h"
#include "admin-api/time_format.h"
#include "proxy/base/log.h"

namespace gatehouse::admin {
namespace {

// A reason is a short note for people reading /status and the logs.
constexpr size_t kMaxReasonBytes = 500;

constexpr FieldSpec kPutFields[] = {
    {"enabled", JsonType::Boolean, /*required=*/true},
    {"reason", JsonType::String},
    {"message", JsonType::String},
};

Json describe(const gate::ReadOnlyState::View& view, const AdminContext& context) {
  const config::ReadOnlyConfig& s = *view.settings;
  Json allow = Json::array();
  for (const std::string& prefix : s.allow)
    allow.push_back(prefix);
  return {
      {"enabled", view.enabled},
      {"reason", view.reason},
      {"message", view.message},
      {"since", view.since ? Json(rfc3339(*view.since)) : Json(nullptr)},
      {"retry_after_s", s.retry_after.count() / 1000},
      {"min_ttl_s", s.min_ttl.count() / 1000},
      {"allow", allow},
      {"blocked", context.read_only.blocked_total.load(std::memory_order_relaxed)},
      {"state_file", context.state_file ? Json(context.state_file->path()) : Json(nullptr)},
  };
}

// Control characters would break the one-line log entries the reason appears in.
bool isPrintable(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

AdminResponse readOnlyGetEndpoint(const AdminRequest&, AdminContext& context) {
  return jsonResponse(200, describe(context.read_only.view(), context));
}

AdminResponse readOnlyPutEndpoint(const AdminRequest& request, AdminContext& context) {
  auto body = parseJsonObject(request.body, kPutFields);
  if (!body) return errorResponse(400, body.error().message);
  const bool enabled = (*body)["enabled"].get<bool>();
  std::string reason = body->contains("reason") ? (*body)["reason"].get<std::string>() : "";
  if (reason.size() > kMaxReasonBytes)
    return errorResponse(400, fmt::format("\"reason\" is longer than {} bytes", kMaxReasonBytes));
  if (!isPrintable(reason))
    return errorResponse(400, "\"reason\" must be one line without control characters");
  // The public message: off by default; a switch that leaves it out clears it.
  std::string message = body->contains("message") ? (*body)["message"].get<std::string>() : "";
  if (message.size() > kMaxReasonBytes)
    return errorResponse(400, fmt::format("\"message\" is longer than {} bytes", kMaxReasonBytes));
  if (!isPrintable(message))
    return errorResponse(400, "\"message\" must be one line without control characters");

  gate::ReadOnlyState& state = context.read_only;
  const gate::ReadOnlyState::View before = state.view();
  const bool changed =
      before.enabled != enabled || before.reason != reason || before.message != message;
  // `since` says when the mode last switched; a new reason alone does not move it.
  auto since =
      before.enabled == enabled ? before.since : std::optional(gate::ReadOnlyState::Clock::now());
  state.set(enabled, reason, since, message);
  const gate::ReadOnlyState::View after = state.view();
  if (changed) {
    log::warn("admin: read-only mode {} (was {}), reason \"{}\" (was \"{}\"), by {}",
              enabled ? "ON" : "off", before.enabled ? "on" : "off", reason, before.reason,
              request.client);
  }

  Json answer = describe(after, context);
  answer["changed"] = changed;
  // Shared with the other instances of the site (cluster:); "cluster" says whether it was.
  // Asking for what is already so sends nothing; the answer then says whether the site can hear.
  if (context.cluster)
    answer["cluster"] = clusterNote(
        context, changed ? context.cluster->readOnlyChanged() : context.cluster->connected());
  answer["persisted"] = false;
  if (context.state_file) {
    auto written = context.state_file->writeSection(kReadOnlySection, readOnlySection(after));
    if (!written) {
      log::error("admin: read-only mode is {} but was not saved: {}", enabled ? "on" : "off",
                 written.error().message);
      answer["error"] = fmt::format(
          "read-only mode is {}, but it could not be saved and a "
          "restart would lose it: {}",
          enabled ? "on" : "off", written.error().message);
      return jsonResponse(500, answer);
    }
    answer["persisted"] = true;
  }
  return jsonResponse(200, answer);
}

}  // namespace gatehouse::admin
