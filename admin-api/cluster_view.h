#pragma once
// What the admin API shows of the cluster (`cluster:`): GET /cluster (cluster_endpoint.cc), the
// note on each change's answer, and a server's in-flight on the other instances for
// `ctl drain --wait`.

#include <string_view>

#include "admin-api/endpoint.h"

namespace gatehouse::admin {

// Adds to a server's JSON, with a cluster: "instances" (each other live instance's view of the
// server: {"instance", "state", "in_flight"}, from its last heartbeat) and "drained_everywhere"
// (drained here and, on every other live instance, not ready with nothing in flight). An
// instance whose heartbeat predates the drain still shows the server ready: not drained yet.
void addClusterServerFields(Json& server, std::string_view label, bool drained_here,
                            const AdminContext& context);

}  // namespace gatehouse::admin
