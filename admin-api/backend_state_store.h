#pragma once
// The operator's backend decisions kept in the state file (`state_file:`), section "backends",
// so that a restart (or a crash) does not put a server under maintenance back into traffic or
// let a paused pool's requests through:
//   {"app": {"paused": false, "servers": {"app1": "drain", "app2": "ready"},
//            "weights": {"app2": 5}}}        ("weights": only the operator's, when set)
// Written on every change (PUT /backends/POOL[/SERVER]) and read back at start. Health is not
// kept: the checks decide it again.

#include <nlohmann/json.hpp>
#include <string_view>

#include "admin-api/state_file.h"
#include "proxy/base/result.h"
#include "proxy/server/snapshot.h"

namespace gatehouse::admin {

inline constexpr std::string_view kBackendsSection = "backends";

// The section for the pools of `snapshot`.
nlohmann::json backendsSection(const server::Snapshot& snapshot);

// Writes the section; `state_file` may be nullptr (none configured: nothing to do).
Result<void> saveBackendStates(const server::Snapshot& snapshot, StateFile* state_file);

// At start: applies the section's states to the servers and pools of `snapshot` that still
// exist (by pool and server name); anything else in it is logged and ignored.
void restoreBackendStates(const StateFile* state_file, const server::Snapshot& snapshot);

}  // namespace gatehouse::admin
