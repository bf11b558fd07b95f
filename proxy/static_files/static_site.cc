#include "proxy/static_files/static_site.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "proxy/base/log.h"

namespace gatehouse::static_files {

StaticSite::StaticSite(const config::StaticConfig& config)
    : config_(config), types_(config_.types), index_(config_) {}

StaticSite::~StaticSite() {
  watcher_.reset();  // joins the thread before the index it calls into goes
}

namespace {

// `gatehouse check`'s view of versions_dir: a folder already, or one the server can make at
// start (its nearest existing ancestor is a folder). Whether the service's user may write
// there is the start's question: check often runs as another user (root).
Result<void> checkVersionsDir(const config::StaticConfig& config) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir(config.versions_dir);
  if (fs::exists(dir, ec)) {
    if (fs::is_directory(dir, ec)) return {};
    return Error{fmt::format("static {}: versions_dir {} is not a folder", config.prefix,
                             config.versions_dir)};
  }
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    if (!fs::exists(p, ec)) {
      if (p == p.parent_path()) break;
      continue;
    }
    if (fs::is_directory(p, ec)) return {};
    return Error{fmt::format("static {}: versions_dir {} cannot be created: {} is not a folder",
                             config.prefix, config.versions_dir, p.string())};
  }
  return {};  // a relative path: made under the working folder at start
}

}  // namespace

Result<std::shared_ptr<StaticSite>> StaticSite::create(const config::StaticConfig& config,
                                                       Purpose purpose) {
  struct stat st {};
  if (::stat(config.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error{fmt::format("static {}: root {} is not a folder: {}", config.prefix, config.root,
                             errno ? std::strerror(errno) : "not a directory")};
  if (config.keep_versions.count() > 0 && purpose == Purpose::Checking) {
    if (auto ok = checkVersionsDir(config); !ok) return ok.error();
  } else if (config.keep_versions.count() > 0) {
    std::error_code ec;
    std::filesystem::create_directories(config.versions_dir, ec);
    if (ec || ::access(config.versions_dir.c_str(), W_OK) != 0)
      return Error{fmt::format("static {}: versions_dir {} is not a writable folder", config.prefix,
                               config.versions_dir)};
  }
  // A check hashes the tree (what could fail at start) but copies no version anywhere.
  config::StaticConfig checked = config;
  if (purpose == Purpose::Checking) checked.keep_versions = {};
  std::shared_ptr<StaticSite> site(new StaticSite(purpose == Purpose::Checking ? checked : config));
  if (config.versioned) {
    auto scanned = site->index_.rescan();
    if (!scanned)
      return Error{fmt::format("static {}: {}", config.prefix, scanned.error().message)};
    if (purpose == Purpose::Serving) site->index_.sweep(std::time(nullptr));
  }
  if (purpose == Purpose::Checking) return site;
  StaticSite* raw = site.get();
  // Sweep often enough that a copy outlives keep_versions by at most a quarter of it.
  auto sweep_every =
      config.keep_versions.count() == 0
          ? std::chrono::milliseconds(std::chrono::minutes(10))
          : std::clamp<std::chrono::milliseconds>(config.keep_versions / 4, std::chrono::seconds(1),
                                                  std::chrono::minutes(10));
  site->watcher_ = std::make_unique<Watcher>(
      config.root, sweep_every,
      Watcher::Callbacks{
          [raw] { raw->generation_.fetch_add(1, std::memory_order_acq_rel); },
          [raw] { raw->rescan(); },
          [raw] {
            if (raw->config_.keep_versions.count() > 0) raw->index_.sweep(std::time(nullptr));
          },
      });
  return site;
}

void StaticSite::rescan() {
  if (!config_.versioned) return;
  auto changed = index_.rescan();
  if (!changed)
    log::warn("static {}: rescan failed: {}", config_.prefix, changed.error().message);
  else if (*changed > 0)
    log::info("static {}: {} file(s) changed; {} versioned", config_.prefix, *changed,
              index_.size());
}

}  // namespace gatehouse::static_files
