#include "proxy/static_files/file_opener.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace gatehouse::static_files {
namespace {

int openat2Call(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

}  // namespace

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

OpenedFile openBeneath(const std::string& root, std::string_view relative, bool allow_symlinks) {
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
    fd = openat2Call(dir.get(), rel.c_str(), kFlags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 && errno == ENOSYS) {
      // Kernels before 5.6: refuse every symlink on the way instead (stricter than needed).
      fd = ::openat(dir.get(), rel.c_str(), static_cast<int>(kFlags | O_NOFOLLOW));
      if (fd < 0 && errno == ELOOP) errno = EXDEV;
    }
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
