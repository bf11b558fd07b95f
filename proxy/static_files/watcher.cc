#include "proxy/static_files/watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "proxy/base/log.h"
#include "proxy/base/thread_name.h"

namespace gatehouse::static_files {
namespace {
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |
                           IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
}

Watcher::Watcher(std::string root, std::chrono::milliseconds sweep_every, Callbacks callbacks)
    : root_(std::move(root)), sweep_every_(sweep_every), callbacks_(std::move(callbacks)) {
  inotify_ = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  stop_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!inotify_ || !stop_) {
    log::warn("static: inotify unavailable for {} ({}); open files are revalidated every second",
              root_, std::strerror(errno));
    return;
  }
  watchTree();
  thread_ = std::thread([this] {
    nameThisThread("gh-static-watch");
    run();
  });
}

Watcher::~Watcher() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  // An eventfd write fails only if the counter would overflow: one stop is all it takes.
  [[maybe_unused]] const ssize_t written = ::write(stop_.get(), &one, sizeof one);
  thread_.join();
}

void Watcher::watchTree() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (::inotify_add_watch(inotify_.get(), root_.c_str(), kMask) < 0) return;
  fs::recursive_directory_iterator it(root_, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    if (::inotify_add_watch(inotify_.get(), it->path().c_str(), kMask) < 0 && errno == ENOSPC &&
        !warned_limit_) {
      warned_limit_ = true;
      log::warn(
          "static: inotify watch limit reached under {}: changes in some folders go "
          "unseen until a reload (raise fs.inotify.max_user_watches)",
          root_);
    }
  }
}

bool Watcher::drainEvents() {
  alignas(inotify_event) char buf[16 * 1024];
  while (true) {
    ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: drained (an overflow event just means "rescan", as any)
  }
  uint64_t value = 0;
  return ::read(stop_.get(), &value, sizeof value) != sizeof value;
}

void Watcher::run() {
  using Clock = std::chrono::steady_clock;
  bool dirty = false;
  Clock::time_point next_sweep = Clock::now() + sweep_every_;
  while (true) {
    pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    auto wait =
        dirty ? kQuiet
              : std::chrono::duration_cast<std::chrono::milliseconds>(next_sweep - Clock::now());
    int timeout = static_cast<int>(std::max<int64_t>(0, wait.count()));
    int rc = ::poll(fds, 2, timeout);
    if (rc < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (rc > 0 && fds[0].revents) {
      if (!drainEvents()) return;
      if (!dirty) callbacks_.on_change();
      dirty = true;
      continue;  // wait for kQuiet without events
    }
    if (dirty) {
      dirty = false;
      watchTree();  // new folders of the deploy
      callbacks_.on_settled();
      callbacks_.on_change();
    }
    if (Clock::now() >= next_sweep) {
      callbacks_.on_sweep();
      next_sweep = Clock::now() + sweep_every_;
    }
  }
}

}  // namespace gatehouse::static_files
