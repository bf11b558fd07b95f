#pragma once
// A worker's open files of one site, so that a hot file costs no open() or stat() per request
// (nginx's open_file_cache). One per worker and site: no locks. Entries, negative ones ("no such
// file") included, belong to the site's generation: when the watcher reports a change under the
// root the generation moves and the whole cache is dropped, so the next request reopens the
// file as it is now. Without a watcher, entries are trusted for kRevalidateAfter only.
//
// The fd of an open file belongs to an evbuffer_file_segment (closed when the last reference
// goes), so a response still queued for sendfile keeps its file open after the entry is dropped.

#include <event2/buffer.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "proxy/static_files/file_opener.h"
#include "proxy/static_files/static_site.h"

namespace gatehouse::static_files {

struct OpenFile {
  OpenFile(UniqueFd fd, const struct stat& st);
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  int fd = -1;  // owned by `segment`; -1 once the content is inlined
  evbuffer_file_segment* segment = nullptr;
  struct stat st {};
  std::string etag;           // strong, from dev/ino/mtime/size: "\"<ino>-<mtime>-<size>\""
  std::string last_modified;  // IMF-fixdate of st_mtime
  // Precompressed siblings (name.br, name.gz), when present and not older than this file.
  std::shared_ptr<const OpenFile> br, gz;
  // The bytes of a small file (at most OpenFileCache::kInlineMax), read when it was opened, so
  // that head and body leave in one writev (or one TLS record) instead of writev + sendfile.
  // Empty: not held in memory.
  std::string content;
  bool inlined = false;
};

struct Lookup {
  OpenOutcome outcome = OpenOutcome::NotFound;
  std::shared_ptr<const OpenFile> file;  // set when Opened
};

class OpenFileCache {
 public:
  static constexpr size_t kMaxEntries = 4096;
  static constexpr std::chrono::seconds kRevalidateAfter{1};
  static constexpr size_t kInlineMax = 32 * 1024;
  static constexpr size_t kInlineBudget = 16 * 1024 * 1024;  // per worker and site

  explicit OpenFileCache(std::shared_ptr<const StaticSite> site) : site_(std::move(site)) {}

  // `relative` under the site's root. Folders come back Opened with S_ISDIR.
  Lookup live(const std::string& relative);
  // `relative` under versions_dir (the copies of versions).
  Lookup archived(const std::string& relative);

  const StaticSite& site() const { return *site_; }
  const std::shared_ptr<const StaticSite>& sitePtr() const { return site_; }

 private:
  Lookup find(const std::string& key, const std::string& root, std::string_view relative,
              bool allow_symlinks, bool siblings);
  void dropIfStale();

  struct Entry {
    Lookup lookup;
    std::chrono::steady_clock::time_point opened;
  };
  std::shared_ptr<const StaticSite> site_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t generation_ = 0;
  size_t inline_bytes_ = 0;  // content held by entries_

  void maybeInline(OpenFile& file);
};

}  // namespace gatehouse::static_files
