#pragma once
// The process's two log files: the access log (one descriptor shared by every worker's
// AccessLog) and the error log (descriptor 2, where log::write() and libraries write).
//
// Each keeps its descriptor number for the life of the process. Switching target (a reload
// that changed log.access or log.error) or reopening (SIGUSR1, once logrotate has moved the
// file) opens the new file and dup2()s it onto that number: atomic for writers on other
// threads, so no line is lost or written to a closed descriptor, and no lock is taken on the
// data path. Main loop only.

#include <memory>
#include <string>

#include "config/config.h"
#include "proxy/base/result.h"

namespace gatehouse::server {

class LogFiles {
 public:
  // Opens both targets of `log` ("stdout" | "stderr" | "off" | a path for the access log;
  // "stderr" | a path for the error log). Errors say `log.access: cannot open PATH: why`.
  static Result<std::unique_ptr<LogFiles>> open(const config::LogConfig& log);
  ~LogFiles();
  LogFiles(const LogFiles&) = delete;
  LogFiles& operator=(const LogFiles&) = delete;

  // Switches to the targets of `log` where they changed. On error nothing changed.
  Result<void> apply(const config::LogConfig& log);
  // Opens the file targets again by name (logrotate's `postrotate` sends SIGUSR1). On error the
  // old files stay in use.
  Result<void> reopen();

  // Never changes; /dev/null while the access log is off.
  int accessFd() const { return access_fd_; }

 private:
  LogFiles() = default;
  // A new descriptor for `target`, or the error.
  Result<int> openAccess(const std::string& target) const;
  Result<int> openError(const std::string& target) const;

  int access_fd_ = -1;
  int original_stderr_ = -1;  // what "stderr" means, whatever fd 2 now points at
  std::string access_target_;
  std::string error_target_;
};

}  // namespace gatehouse::server
