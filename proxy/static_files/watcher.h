#pragma once
// Notices changes under a site's root with inotify and reacts, on a thread of its own so that
// hashing a deploy's files never stalls an event loop:
//   - at the first event of a burst, `on_change()` runs at once (workers drop their open files);
//   - once the tree has been quiet for kQuiet, `on_settled()` runs (rescan, rehash what changed)
//     and then `on_change()` again, so open-file caches reopen onto the new versions;
//   - every `sweep_every`, `on_sweep()` runs (old versions past keep_versions are deleted).
// Every folder under the root is watched; watches for new folders are added on each settle.
// If inotify cannot start (no permission, watch limit), running() is false and callers fall
// back to revalidating what they cached by time.

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "proxy/static_files/file_opener.h"

namespace gatehouse::static_files {

class Watcher {
 public:
  static constexpr std::chrono::milliseconds kQuiet{50};

  struct Callbacks {
    std::function<void()> on_change;
    std::function<void()> on_settled;
    std::function<void()> on_sweep;
  };

  Watcher(std::string root, std::chrono::milliseconds sweep_every, Callbacks callbacks);
  ~Watcher();  // stops and joins the thread
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  bool running() const { return thread_.joinable(); }

 private:
  void run();
  void watchTree();
  bool drainEvents();  // false: the stop signal

  std::string root_;
  std::chrono::milliseconds sweep_every_;
  Callbacks callbacks_;
  UniqueFd inotify_;
  UniqueFd stop_;  // eventfd
  bool warned_limit_ = false;
  std::thread thread_;
};

}  // namespace gatehouse::static_files
