#pragma once
// The operator's backend decisions (servers' drain/maint, pools' pause) kept in `state_file`,
// so that a restart does not put a server under maintenance back into traffic.

#include "proxy/server/process_control.h"

namespace gatehouse::admin {

// Writes the current states (section "backends"); failures are logged, never fatal: the
// change itself has been applied.
void saveBackendStates(const server::ProcessControl& control);

}  // namespace gatehouse::admin
