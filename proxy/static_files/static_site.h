#pragma once
// One `static:` entry as the workers serve it: its settings, content types, version index and
// watcher. Built with the snapshot and shared by every worker; the data it changes at run time
// (the index, the generation) is safe to read from any thread.

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "proxy/base/result.h"
#include "proxy/static_files/asset_index.h"
#include "proxy/static_files/content_types.h"
#include "proxy/static_files/watcher.h"

namespace gatehouse::static_files {

class StaticSite {
 public:
  // Checks the root is a folder, hashes the tree of a versioned site (copying versions to
  // versions_dir when keep_versions is set) and starts watching. Blocking: call it where a
  // snapshot is built.
  // Serving: creates versions_dir if it is missing and watches the root. Checking (`gatehouse
  // check`, often run as root before the service starts as its own user): creates nothing and
  // starts no thread; a missing versions_dir only needs a parent folder to be made in later.
  enum class Purpose { Serving, Checking };
  static Result<std::shared_ptr<StaticSite>> create(const config::StaticConfig& config,
                                                    Purpose purpose = Purpose::Serving);
  ~StaticSite();

  const config::StaticConfig& config() const { return config_; }
  const ContentTypes& types() const { return types_; }
  // Changes whenever something under the root may have changed: cached open files of an older
  // generation must be reopened.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // True while inotify watches the root; false: callers revalidate cached files by time.
  bool watching() const { return watcher_ && watcher_->running(); }

  std::optional<AssetVersion> current(const std::string& plain) const {
    return index_.current(plain);
  }
  std::shared_ptr<const std::string> manifest() const { return index_.manifest(); }

  // What the watcher does once a burst of changes settles; public for tests and reload.
  void rescan();

 private:
  explicit StaticSite(const config::StaticConfig& config);

  const config::StaticConfig config_;
  ContentTypes types_;
  AssetIndex index_;
  std::atomic<uint64_t> generation_{1};
  std::unique_ptr<Watcher> watcher_;
};

}  // namespace gatehouse::static_files
