#pragma once
// The process: builds the workers from a config, binds their listeners, runs the main loop
// for signals, and stops gracefully.
//   SIGTERM/SIGINT: stop accepting, let in-flight exchanges finish within shutdown_grace,
//                   then exit 0. A second signal stops at once.
//   SIGHUP: re-read the config file and certificates; on error keep serving the old ones.

#include <memory>

#include "config/config.h"

namespace gatehouse::server {

// Serves until stopped by a signal. Returns the process exit code.
int run(std::shared_ptr<const config::Config> config);

}  // namespace gatehouse::server
