#include "proxy/server/log_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gatehouse::server {
namespace {

bool isFile(const std::string& target) {
  return target != "stdout" && target != "stderr" && target != "off";
}

Result<int> openFile(std::string_view key, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Error{fmt::format("{}: cannot open {}: {}", key, path, std::strerror(errno))};
  return fd;
}

Result<int> duplicate(std::string_view key, int fd) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return Error{fmt::format("{}: cannot dup: {}", key, std::strerror(errno))};
  return copy;
}

// Points `target_fd` at what `source` is open on, and closes `source`.
void replace(int target_fd, int source) {
  while (::dup2(source, target_fd) < 0 && errno == EINTR) {
  }
  ::close(source);
}

}  // namespace

Result<std::unique_ptr<LogFiles>> LogFiles::open(const config::LogConfig& log) {
  std::unique_ptr<LogFiles> files(new LogFiles());
  auto original = duplicate("log.error", STDERR_FILENO);
  if (!original) return original.error();
  files->original_stderr_ = *original;
  auto access = files->openAccess(log.access);
  if (!access) return access.error();
  files->access_fd_ = *access;
  files->access_target_ = log.access;
  files->error_target_ = "stderr";
  if (auto applied = files->apply(log); !applied) return applied.error();
  return files;
}

LogFiles::~LogFiles() {
  if (access_fd_ >= 0) ::close(access_fd_);
  if (original_stderr_ >= 0) {
    // Messages after the server stopped go where the process's stderr went.
    replace(STDERR_FILENO, original_stderr_);
  }
}

Result<int> LogFiles::openAccess(const std::string& target) const {
  if (target == "stdout") return duplicate("log.access", STDOUT_FILENO);
  if (target == "stderr") return duplicate("log.access", original_stderr_);
  if (target == "off") return openFile("log.access", "/dev/null");
  return openFile("log.access", target);
}

Result<int> LogFiles::openError(const std::string& target) const {
  if (target == "stderr") return duplicate("log.error", original_stderr_);
  return openFile("log.error", target);
}

Result<void> LogFiles::apply(const config::LogConfig& log) {
  // Both opened before either is switched, so that an error changes nothing.
  int access = -1, error = -1;
  if (log.access != access_target_) {
    auto opened = openAccess(log.access);
    if (!opened) return opened.error();
    access = *opened;
  }
  if (log.error != error_target_) {
    auto opened = openError(log.error);
    if (!opened) {
      if (access >= 0) ::close(access);
      return opened.error();
    }
    error = *opened;
  }
  if (access >= 0) {
    replace(access_fd_, access);
    access_target_ = log.access;
  }
  if (error >= 0) {
    replace(STDERR_FILENO, error);
    error_target_ = log.error;
  }
  return {};
}

Result<void> LogFiles::reopen() {
  int access = -1, error = -1;
  if (isFile(access_target_)) {
    auto opened = openFile("log.access", access_target_);
    if (!opened) return opened.error();
    access = *opened;
  }
  if (isFile(error_target_)) {
    auto opened = openFile("log.error", error_target_);
    if (!opened) {
      if (access >= 0) ::close(access);
      return opened.error();
    }
    error = *opened;
  }
  if (access >= 0) replace(access_fd_, access);
  if (error >= 0) replace(STDERR_FILENO, error);
  return {};
}

}  // namespace gatehouse::server
