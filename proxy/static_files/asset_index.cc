#include "proxy/static_files/asset_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "proxy/base/log.h"
#include "proxy/static_files/asset_versions.h"
#include "proxy/static_files/file_opener.h"

namespace gatehouse::static_files {
namespace {
namespace fs = std::filesystem;

int64_t mtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool sameFile(const AssetVersion& v, const struct stat& st) {
  return v.dev == st.st_dev && v.ino == st.st_ino && v.mtime_ns == mtimeNs(st) &&
         v.size == st.st_size;
}

// The regular files under root that a versioned site fingerprints (see isVersionedFile()).
std::set<std::string> listFiles(const std::string& root, bool allow_dotfiles) {
  std::set<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!allow_dotfiles && name.starts_with('.')) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) files.insert(it->path().lexically_relative(root).generic_string());
  }
  return files;
}

}  // namespace

Result<AssetVersion> AssetIndex::hashAndArchive(int fd, const struct stat& st,
                                                const std::string& rel) {
  AssetVersion v{"", st.st_dev, st.st_ino, mtimeNs(st), st.st_size};
  auto hash = hashFile(fd);
  if (!hash) return hash.error();
  v.hash = std::move(*hash);
  if (config_.keep_versions.count() == 0) return v;
  const fs::path target = fs::path(config_.versions_dir) / hashedName(rel, v.hash);
  std::error_code ec;
  if (fs::exists(target, ec)) return v;
  fs::create_directories(target.parent_path(), ec);
  std::string tmp = (target.parent_path() / ".tmp-XXXXXX").string();
  UniqueFd out(::mkstemp(tmp.data()));
  if (!out) return Error{"cannot create a copy in " + target.parent_path().string()};
  // Hash what is copied: the copy is named after its own bytes even if the file changed since
  // the first read (the watcher will see that change and rescan).
  auto copied = hashFile(fd, out.get());
  if (!copied) {
    ::unlink(tmp.c_str());
    return copied.error();
  }
  ::fchmod(out.get(), 0644);
  v.hash = *copied;
  const fs::path final_target = fs::path(config_.versions_dir) / hashedName(rel, v.hash);
  if (::rename(tmp.c_str(), final_target.c_str()) != 0) ::unlink(tmp.c_str());
  return v;
}

void AssetIndex::markSuperseded(const std::string& rel, const std::string& hash) const {
  if (config_.keep_versions.count() == 0) return;
  const fs::path copy = fs::path(config_.versions_dir) / hashedName(rel, hash);
  ::utimensat(AT_FDCWD, copy.c_str(), nullptr, 0);  // mtime := now, the start of its keep time
}

Result<size_t> AssetIndex::rescan() {
  const std::set<std::string> names = listFiles(config_.root, config_.dotfiles);
  auto exists = [](std::string_view rel, const void* ctx) {
    return static_cast<const std::set<std::string>*>(ctx)->count(std::string(rel)) > 0;
  };
  std::unordered_map<std::string, AssetVersion> before;
  {
    std::lock_guard lock(mu_);
    before = files_;
  }
  std::unordered_map<std::string, AssetVersion> next;
  size_t changed = 0;
  for (const std::string& rel : names) {
    if (!isVersionedFile(rel, config_.dotfiles, exists, &names)) continue;
    OpenedFile f = openBeneath(config_.root, rel, config_.allow_symlinks);
    if (f.outcome != OpenOutcome::Opened || !S_ISREG(f.st.st_mode)) continue;
    auto old = before.find(rel);
    if (old != before.end() && sameFile(old->second, f.st)) {
      next.emplace(rel, old->second);
      continue;
    }
    auto v = hashAndArchive(f.fd.get(), f.st, rel);
    if (!v) {
      log::warn("static {}: {}: {}", config_.prefix, rel, v.error().message);
      continue;
    }
    if (old == before.end() || old->second.hash != v->hash) ++changed;
    next.emplace(rel, std::move(*v));
  }
  for (const auto& [rel, v] : before) {
    auto now = next.find(rel);
    if (now == next.end() || now->second.hash != v.hash) {
      markSuperseded(rel, v.hash);
      if (now == next.end()) ++changed;
    }
  }
  std::map<std::string, std::string> sorted;
  for (const auto& [rel, v] : next)
    sorted.emplace(rel, v.hash);
  auto manifest = std::make_shared<const std::string>(manifestJson(sorted, config_.prefix));
  std::lock_guard lock(mu_);
  files_ = std::move(next);
  manifest_ = std::move(manifest);
  return changed;
}

std::optional<AssetVersion> AssetIndex::current(const std::string& plain) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(plain);
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<const std::string> AssetIndex::manifest() const {
  std::lock_guard lock(mu_);
  return manifest_;
}

size_t AssetIndex::size() const {
  std::lock_guard lock(mu_);
  return files_.size();
}

size_t AssetIndex::sweep(std::time_t now) {
  if (config_.keep_versions.count() == 0) return 0;
  const auto keep_s =
      std::chrono::duration_cast<std::chrono::seconds>(config_.keep_versions).count();
  size_t deleted = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(config_.versions_dir, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = it->path().lexically_relative(config_.versions_dir).generic_string();
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) continue;
    auto parsed = parseHashedName(rel);
    if (parsed) {
      auto cur = current(parsed->plain);
      if (cur && cur->hash == parsed->hash) continue;  // current: kept
    }
    if (st.st_mtim.tv_sec + keep_s >= now) continue;
    if (::unlink(it->path().c_str()) == 0) ++deleted;
  }
  return deleted;
}

}  // namespace gatehouse::static_files
