#pragma once
// The process: builds the workers from a config, binds their listeners, runs the main loop
// for signals, and stops gracefully.
//   SIGTERM/SIGINT: stop accepting, let in-flight exchanges finish within shutdown_grace,
//                   then exit 0. A second signal stops at once.
//   SIGHUP: re-read the config file and certificates; on error keep serving the old ones.

#include <memory>

#include "config/config.h"
#include "proxy/server/process_control.h"

namespace gatehouse::server {

// Serves until stopped by a signal. `extension` (the admin API) starts on the main loop once
// the listeners are bound. Returns the process exit code.
int run(std::shared_ptr<const config::Config> config, const Extension& extension = {});

}  // namespace gatehouse::server
