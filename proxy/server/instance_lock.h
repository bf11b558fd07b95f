#pragma once
// One gatehouse per state file and per set of listeners (issue 16). Listeners are bound with
// SO_REUSEPORT so that workers share them; without a check, a second gatehouse started by the
// same user with the same listeners binds beside the first and silently takes half the
// traffic (half the clients out of read-only mode). So before binding:
//   - the state file's lock (`STATE_FILE.lock`, flock(2), held for the life of the process)
//     must be free: two processes must not own one state file;
//   - every listener address must be free (net::Listener::checkFree).
// Only an in-place reload (SIGHUP, `ctl reload`) shares sockets with the running process.

#include <string>

#include "config/config.h"
#include "proxy/base/result.h"

namespace gatehouse::server {

class InstanceLock {
 public:
  // Takes the state file's lock (when a state_file is configured) and checks every listener
  // address. The error names the file or `FILE:LINE:COL: listeners[N]` and what to do.
  static Result<InstanceLock> acquire(const config::Config& config);

  InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_ = -1;  // the lock file, or -1
};

}  // namespace gatehouse::server
