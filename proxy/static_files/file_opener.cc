#include "proxy/static_files/file_opener.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace gatehouse::static_files {
namespace {

int openat2Call(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// A folder component of the walk: `name` under `dir`, itself no symlink. -1 with errno EXDEV
// for a symlink, else openat's errno.
int openFolderNoFollow(int dir, const std::string& name) {
  int fd = ::openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 || errno != ENOTDIR) return fd;
  // O_PATH | O_NOFOLLOW stops at a symlink and O_DIRECTORY then says ENOTDIR: tell it apart
  // from a plain file in the middle of the path (NotFound).
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    errno = EXDEV;
  else
    errno = ENOTDIR;
  return -1;
}

// The walk of file_opener.h for kernels without openat2: every component opened relative to
// the folder before it, with O_NOFOLLOW; "." and empty segments skipped, ".." refused. -1 with
// errno EXDEV for a symlink or "..", else the failing openat's errno.
int openByWalk(int root, std::string_view relative, int flags) {
  UniqueFd held;  // the current folder when it is not the root
  int dir = root;
  std::string name = ".";
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = std::min(relative.find('/', start), relative.size());
    std::string_view segment = relative.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      errno = EXDEV;
      return -1;
    }
    if (name != ".") {  // the previous segment was a folder on the way: step into it
      int next = openFolderNoFollow(dir, name);
      if (next < 0) return -1;
      held = UniqueFd(next);
      dir = next;
    }
    name.assign(segment);
  }
  int fd = ::openat(dir, name.c_str(), flags | O_NOFOLLOW);
  if (fd < 0 && errno == ELOOP) errno = EXDEV;
  return fd;
}

}  // namespace

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

OpenedFile openBeneath(const std::string& root, std::string_view relative, bool allow_symlinks,
                       BeneathResolver resolver) {
  OpenedFile out;
  // The root is opened on each call rather than kept: a deploy that swaps a symlinked root
  // (releases/N -> current) is followed on the next open. Callers cache what they open.
  UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return out;
  const std::string rel = relative.empty() ? std::string(".") : std::string(relative);
  constexpr uint64_t kFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  int fd = -1;
  if (allow_symlinks) {
    fd = ::openat(dir.get(), rel.c_str(), static_cast<int>(kFlags));
  } else {
    if (resolver == BeneathResolver::Walk)
      errno = ENOSYS;
    else
      fd = openat2Call(dir.get(), rel.c_str(), kFlags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
    // Kernels before 5.6: refuse every symlink on the way instead (stricter than needed).
    if (fd < 0 && errno == ENOSYS) fd = openByWalk(dir.get(), rel, static_cast<int>(kFlags));
  }
  if (fd < 0) {
    out.outcome = errno == EXDEV ? OpenOutcome::SymlinkEscape : OpenOutcome::NotFound;
    return out;
  }
  out.fd = UniqueFd(fd);
  if (::fstat(fd, &out.st) != 0) {
    out.fd.reset();
    return out;
  }
  if (!S_ISREG(out.st.st_mode) && !S_ISDIR(out.st.st_mode)) {
    out.fd.reset();
    out.outcome = OpenOutcome::NotRegular;
    return out;
  }
  out.outcome = OpenOutcome::Opened;
  return out;
}

}  // namespace gatehouse::static_files
