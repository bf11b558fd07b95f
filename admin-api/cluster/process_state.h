#pragma once
// Between the records of cluster_record.h and the running process: what each key's data is made
// of (read-only mode, a server's admin state, a pool's pause) and how a record received from
// another instance is applied here, exactly as the admin API would (the workers hear of backend
// changes through ProcessControl::backendsChanged).

#include <nlohmann/json.hpp>
#include <string>

#include "admin-api/cluster/cluster_record.h"
#include "health/server_state.h"
#include "proxy/base/result.h"
#include "proxy/gate/read_only_state.h"
#include "proxy/server/process_control.h"

namespace gatehouse::cluster {

nlohmann::json readOnlyData(const gate::ReadOnlyState::View& view);
nlohmann::json serverData(health::AdminState state);
nlohmann::json poolData(bool paused);

// The data of `key` as this process has it now, or null when the key names nothing here (a pool
// this configuration lacks).
nlohmann::json currentData(std::string_view key, const server::ProcessControl& control,
                           const gate::ReadOnlyState& read_only);

// Applies `record` (from another instance) to the process. Returns what changed, for the log
// ("read-only ON (db migration)", "app/app1 drain"), empty when it was already so; an error when
// it names nothing here or its data is malformed.
Result<std::string> applyRecord(const Record& record, server::ProcessControl& control,
                                gate::ReadOnlyState& read_only);

// Evicts what `event` names from this process's cache: the number of objects, or an error when
// no cache is configured.
Result<size_t> applyPurge(const PurgeEvent& event, const server::ProcessControl& control);

}  // namespace gatehouse::cluster
