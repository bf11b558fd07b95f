#pragma once
// The current version of every file of a versioned site, and the archive of versions: shared by
// all workers (reads under a short mutex) and updated by the site's watcher thread.
//
// The archive (`versions_dir`, only with keep_versions > 0) is content-addressed by hashed
// name: versions_dir/css/app.<hash>.css holds exactly the bytes that were hashed, copied while
// hashing. Every version is copied when it is first seen, so an in-place overwrite during a
// deploy cannot lose the old bytes. A copy's mtime records when it stopped being current (set
// when superseded); the sweep deletes copies that are not current and older than
// keep_versions. Copies survive restarts and reloads; one superseded while gatehouse was not
// running counts from when it was copied.

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/config.h"
#include "proxy/base/result.h"

namespace gatehouse::static_files {

struct AssetVersion {
  std::string hash;  // kHashDigits hex
  // The file as it was when hashed: a live file whose fstat differs has changed since.
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_ns = 0;
  off_t size = 0;
};

class AssetIndex {
 public:
  explicit AssetIndex(const config::StaticConfig& config) : config_(config) {}

  // Walks the root: hashes new or changed files (a file whose dev/ino/mtime/size are unchanged
  // is not read again), archives their bytes, forgets deleted files, marks superseded copies.
  // Returns the number of files whose version changed. Called by one thread at a time.
  Result<size_t> rescan();

  std::optional<AssetVersion> current(const std::string& plain) const;
  // The manifest JSON for the current versions (rebuilt by rescan()).
  std::shared_ptr<const std::string> manifest() const;
  size_t size() const;

  // Deletes archived copies that are not current and were superseded before now - keep.
  // Returns how many were deleted.
  size_t sweep(std::time_t now);

 private:
  Result<AssetVersion> hashAndArchive(int fd, const struct stat& st, const std::string& rel);
  void markSuperseded(const std::string& rel, const std::string& hash) const;

  const config::StaticConfig& config_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, AssetVersion> files_;  // guarded by mu_
  std::shared_ptr<const std::string> manifest_;          // guarded by mu_
};

}  // namespace gatehouse::static_files
