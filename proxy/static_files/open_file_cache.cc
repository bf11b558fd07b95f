#include "proxy/static_files/open_file_cache.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "proxy/http/http_date.h"
#include "proxy/static_files/static_counters.h"

namespace gatehouse::static_files {

OpenFile::OpenFile(UniqueFd owned, const struct stat& s) : st(s) {
  fd = owned.get();
  if (S_ISREG(st.st_mode)) {
    segment = evbuffer_file_segment_new(fd, 0, st.st_size, EVBUF_FS_CLOSE_ON_FREE);
    if (segment) owned.release();  // the segment closes it
  }
  if (!segment) fd = owned.release();  // folders, or no segment: closed by the destructor
  etag = fmt::format("\"{:x}-{:x}{:08x}-{:x}\"", st.st_ino, st.st_mtim.tv_sec,
                     static_cast<uint32_t>(st.st_mtim.tv_nsec), st.st_size);
  last_modified = http::formatHttpDate(st.st_mtim.tv_sec);
}

OpenFile::~OpenFile() {
  if (segment)
    evbuffer_file_segment_free(segment);
  else if (fd >= 0)
    UniqueFd close_it(fd);
}

void OpenFileCache::dropIfStale() {
  const uint64_t generation = site_->generation();
  if (generation != generation_ || entries_.size() >= kMaxEntries) {
    entries_.clear();
    inline_bytes_ = 0;
    generation_ = generation;
  }
}

void OpenFileCache::maybeInline(OpenFile& file) {
  const auto size = static_cast<size_t>(file.st.st_size);
  if (!S_ISREG(file.st.st_mode) || size > kInlineMax || inline_bytes_ + size > kInlineBudget)
    return;
  file.content.resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(file.fd, file.content.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != size) {  // changed underneath: serve it from the file (the watcher will reopen)
    file.content.clear();
    return;
  }
  file.inlined = true;
  inline_bytes_ += size;
  // The bytes are all it takes from now on: give the descriptor back (small assets are most of
  // a site, and each worker keeps its own open files).
  if (file.segment)
    evbuffer_file_segment_free(file.segment);
  else if (file.fd >= 0)
    ::close(file.fd);
  file.segment = nullptr;
  file.fd = -1;
}

Lookup OpenFileCache::find(const std::string& key, const std::string& root,
                           std::string_view relative, bool allow_symlinks, bool siblings) {
  dropIfStale();
  const auto now = std::chrono::steady_clock::now();
  auto it = entries_.find(key);
  if (it != entries_.end() && (site_->watching() || now - it->second.opened < kRevalidateAfter)) {
    count(Decision::OpenFileCacheHit);
    return it->second.lookup;
  }
  count(Decision::OpenFileCacheMiss);
  OpenedFile opened = openBeneath(root, relative, allow_symlinks);
  Lookup lookup{opened.outcome, nullptr};
  if (opened.outcome == OpenOutcome::Opened) {
    auto file = std::make_shared<OpenFile>(std::move(opened.fd), opened.st);
    maybeInline(*file);
    if (siblings && S_ISREG(file->st.st_mode)) {
      for (auto [ext, slot] : {std::pair{".br", &file->br}, std::pair{".gz", &file->gz}}) {
        OpenedFile sib = openBeneath(root, std::string(relative) + ext, allow_symlinks);
        // A sibling older than its file was not made from this version: never serve it.
        if (sib.outcome == OpenOutcome::Opened && S_ISREG(sib.st.st_mode) &&
            sib.st.st_mtim.tv_sec >= file->st.st_mtim.tv_sec) {
          auto sibling = std::make_shared<OpenFile>(std::move(sib.fd), sib.st);
          maybeInline(*sibling);
          *slot = std::move(sibling);
        }
      }
    }
    lookup.file = std::move(file);
  }
  entries_[key] = Entry{lookup, now};
  return lookup;
}

Lookup OpenFileCache::live(const std::string& relative) {
  const config::StaticConfig& c = site_->config();
  return find("L" + relative, c.root, relative, c.allow_symlinks, c.precompressed);
}

Lookup OpenFileCache::archived(const std::string& relative) {
  const config::StaticConfig& c = site_->config();
  return find("A" + relative, c.versions_dir, relative, false, false);
}

}  // namespace gatehouse::static_files
