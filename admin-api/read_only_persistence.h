#pragma once
// Read-only mode in the state file: section "read_only" =
//   {"enabled": true, "reason": "db migration", "since": "2026-11-25T04:50:00Z"}
// written on every change (PUT /read-only) and read back at start, so that a restart or a
// crash (kill -9) during a migration comes back read-only.

#include <nlohmann/json.hpp>

#include "admin-api/state_file.h"
#include "config/config.h"
#include "proxy/gate/read_only_state.h"

namespace gatehouse::admin {

inline constexpr std::string_view kReadOnlySection = "read_only";

// The section for `view`.
nlohmann::json readOnlySection(const gate::ReadOnlyState::View& view);

// Sets `state` at start: from the state file's section when there is a valid one, else to
// `settings.default_enabled`. `state_file` is nullptr when none is configured; `open_error` is
// why the file could not be used (corrupt, unreadable), empty when it could. Every fallback to
// the default is logged with its reason.
void restoreReadOnly(const StateFile* state_file, std::string_view open_error,
                     const config::ReadOnlyConfig& settings, gate::ReadOnlyState& state);

}  // namespace gatehouse::admin
