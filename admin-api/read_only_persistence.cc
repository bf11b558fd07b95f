#include "admin-api/read_only_persistence.h"

#include <fmt/format.h>

#include "admin-api/time_format.h"
#include "proxy/base/log.h"

namespace gatehouse::admin {
namespace {

void startWithDefault(const config::ReadOnlyConfig& settings, gate::ReadOnlyState& state,
                      std::string_view why) {
  const bool on = settings.default_enabled;
  state.set(on, on ? "read_only.default" : "", std::nullopt);
  if (on) {
    log::warn("read-only mode is ON at start (read_only.default: true): {}", why);
  } else {
    log::info("read-only mode is off at start (read_only.default): {}", why);
  }
}

}  // namespace

nlohmann::json readOnlySection(const gate::ReadOnlyState::View& view) {
  nlohmann::json section = {
      {"enabled", view.enabled}, {"reason", view.reason}, {"message", view.message}};
  section["since"] = view.since ? nlohmann::json(rfc3339(*view.since)) : nlohmann::json(nullptr);
  return section;
}

void restoreReadOnly(const StateFile* state_file, std::string_view open_error,
                     const config::ReadOnlyConfig& settings, gate::ReadOnlyState& state) {
  if (!open_error.empty()) {
    log::error("state file unusable: {}; it will be replaced at the next change", open_error);
    return startWithDefault(settings, state, "the state file is unusable");
  }
  if (!state_file) return startWithDefault(settings, state, "no state_file is configured");
  const nlohmann::json* section = state_file->section(kReadOnlySection);
  if (!section) {
    return startWithDefault(
        settings, state,
        fmt::format("the state file {} has no read_only section yet", state_file->path()));
  }
  const auto enabled = section->find("enabled");
  if (!section->is_object() || enabled == section->end() || !enabled->is_boolean()) {
    log::error("state file {}: section read_only has no boolean \"enabled\"; ignored",
               state_file->path());
    return startWithDefault(settings, state, "the state file's read_only section is unusable");
  }
  std::string reason;
  if (auto r = section->find("reason"); r != section->end() && r->is_string())
    reason = r->get<std::string>();
  std::string message;
  if (auto m = section->find("message"); m != section->end() && m->is_string())
    message = m->get<std::string>();
  std::optional<gate::ReadOnlyState::Clock::time_point> since;
  if (auto s = section->find("since"); s != section->end() && s->is_string())
    since = parseRfc3339(s->get<std::string>());
  const bool on = enabled->get<bool>();
  state.set(on, reason, since, message);
  if (on) {
    log::warn("read-only mode is ON, restored from {} (since {}, reason \"{}\")",
              state_file->path(), since ? rfc3339(*since) : "unknown", reason);
  } else {
    log::info("read-only mode is off, restored from {}", state_file->path());
  }
}

}  // namespace gatehouse::admin
