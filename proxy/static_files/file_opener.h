#pragma once
// Opening a file under a root without ever leaving it. With allow_symlinks false the kernel
// enforces it: openat2(RESOLVE_BENEATH) refuses any path, symlinks included, that resolves
// outside the root (EXDEV), so a symlink race cannot slip through a check-then-open window.
// Kernels without openat2 (before 5.6) get a walk instead: one component at a time with
// O_NOFOLLOW, each folder opened relative to the one before, ".." refused. That refuses every
// symlink on the way, those that stay inside too (stricter than openat2), and is as race-free:
// no component is looked up twice. (O_NOFOLLOW on the whole path only checks its last
// component: a symlinked folder inside the root led anywhere.)
// With allow_symlinks true, symlinks are followed wherever they lead (the operator's choice).
// Files open O_NONBLOCK, so a FIFO planted in the root cannot hang a worker.

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <utility>

namespace gatehouse::static_files {

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset();
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

enum class OpenOutcome { Opened, NotFound, SymlinkEscape, NotRegular };

struct OpenedFile {
  OpenOutcome outcome = OpenOutcome::NotFound;
  UniqueFd fd;
  struct stat st {};
};

// How a path is kept beneath the root when symlinks may not leave it: openat2 where the kernel
// has it, else the walk; Walk forces the walk (tests of old kernels' path).
enum class BeneathResolver { Auto, Walk };

// Opens `relative` ("css/app.css"; "" is the root itself) under the folder `root`. A folder
// comes back Opened with S_ISDIR(st.st_mode); anything neither file nor folder is NotRegular.
OpenedFile openBeneath(const std::string& root, std::string_view relative, bool allow_symlinks,
                       BeneathResolver resolver = BeneathResolver::Auto);

}  // namespace gatehouse::static_files
