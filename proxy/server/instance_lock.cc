#include "proxy/server/instance_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/net/listener.h"
#include "proxy/net/socket_address.h"

namespace gatehouse::server {
namespace {

// The pid the holder wrote into the lock file, for the message ("" when unreadable).
std::string holderPid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string pid(buf, static_cast<size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
    pid.pop_back();
  return pid;
}

Result<int> lockStateFile(const config::Config& config) {
  const std::string path = config.state_file + ".lock";
  const std::string key = config.key_origins.count("state_file")
                              ? config.key_origins.at("state_file") + ": state_file"
                              : std::string("state_file");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return Error{fmt::format("{}: cannot open the lock {}: {}", key, path, std::strerror(errno))};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string pid = holderPid(fd);
    ::close(fd);
    if (err != EWOULDBLOCK)
      return Error{fmt::format("{}: cannot lock {}: {}", key, path, std::strerror(err))};
    return Error{fmt::format(
        "{}: {} is in use by another gatehouse{}; one process owns a state file: stop the "
        "other one, or reload it in place (`gatehouse ctl reload`, SIGHUP)",
        key, config.state_file, pid.empty() ? "" : fmt::format(" (pid {})", pid))};
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return fd;
}

Result<void> checkListeners(const config::Config& config) {
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const config::ListenerConfig& lc = config.listeners[i];
    if (lc.address.port == 0) continue;
    auto address = net::SocketAddress::resolve(lc.address.host, lc.address.port);
    if (!address) continue;  // the bind reports it
    if (auto free = net::Listener::checkFree(*address); !free) {
      return Error{fmt::format(
          "{}: {}: another process listens there (another gatehouse?); only a reload of the "
          "running one (`gatehouse ctl reload`, SIGHUP) shares its sockets",
          lc.origin, free.error().message)};
    }
  }
  return {};
}

}  // namespace

Result<InstanceLock> InstanceLock::acquire(const config::Config& config) {
  int fd = -1;
  if (!config.state_file.empty()) {
    auto locked = lockStateFile(config);
    if (!locked) return locked.error();
    fd = *locked;
  }
  InstanceLock lock(fd);
  if (auto free = checkListeners(config); !free) return free.error();
  return lock;
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace gatehouse::server
