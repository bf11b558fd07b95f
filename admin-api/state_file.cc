#include "admin-api/state_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "config/file_reader.h"

namespace gatehouse::admin {
namespace {

// A state file holds a few sections of a few hundred bytes; anything this large is not ours.
constexpr size_t kMaxStateFileBytes = size_t{4} << 20;

// Closes the descriptor it holds.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, for the error of close(2) itself (a delayed write error on some filesystems).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string directoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string baseNameOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<void> writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::strerror(errno)};
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Writes `text` to a new temporary file beside `path`, makes it durable and renames it over
// `path`, then makes the rename durable. The error names the step that failed; `renamed` says
// whether the new text is in place (only the directory's fsync can fail after that).
Result<void> replaceAtomically(const std::string& path, std::string_view text, bool& renamed) {
  const std::string dir = directoryOf(path);
  // Hidden, and unique per writer, so that a leftover from a crash is recognisable and two
  // processes pointed at the same file by mistake never share a temporary.
  std::string temp = fmt::format("{}/.{}.XXXXXX", dir, baseNameOf(path));
  FileDescriptor fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0)
    return Error{fmt::format("create a temporary file in {}: {}", dir, std::strerror(errno))};
  auto fail = [&](std::string_view step, int error) {
    ::unlink(temp.c_str());
    return Error{fmt::format("{} {}: {}", step, temp, std::strerror(error))};
  };
  // mkostemp creates 0600; the state is not secret but only gatehouse writes it.
  ::fchmod(fd.get(), 0644);
  if (auto written = writeAll(fd.get(), text); !written) {
    ::unlink(temp.c_str());
    return Error{fmt::format("write {}: {}", temp, written.error().message)};
  }
  if (::fsync(fd.get()) != 0) return fail("fsync", errno);
  if (fd.close() != 0) return fail("close", errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("rename", errno);
  renamed = true;
  // The rename is durable only once the directory is.
  FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0)
    return Error{fmt::format("fsync directory {}: {}", dir, std::strerror(errno))};
  return {};
}

}  // namespace

Result<StateFile> StateFile::open(std::string path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return StateFile(std::move(path), nlohmann::json::object());
    return Error{fmt::format("{}: cannot read: {}", path, std::strerror(errno))};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{fmt::format("{}: cannot read: not a regular file", path)};
  }
  auto text = config::readAllBounded(fd, kMaxStateFileBytes,
                                     fmt::format("{} MiB", kMaxStateFileBytes >> 20));
  if (!text) return Error{fmt::format("{}: cannot read: {}", path, text.error().message)};
  // Written by us, so never empty: an empty file was truncated by something else.
  if (text->empty()) return Error{fmt::format("{}: the file is empty", path)};
  nlohmann::json document;
  // The boundary: parse() reports syntax errors as a discarded value, but may still throw (an
  // allocation, say); nothing thrown leaves this module.
  try {
    document = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {
    return Error{fmt::format("{}: cannot read: {}", path, e.what())};
  }
  if (document.is_discarded()) return Error{fmt::format("{}: not valid JSON", path)};
  if (!document.is_object()) return Error{fmt::format("{}: not a JSON object of sections", path)};
  return StateFile(std::move(path), std::move(document));
}

StateFile StateFile::empty(std::string path) {
  return StateFile(std::move(path), nlohmann::json::object());
}

const nlohmann::json* StateFile::section(std::string_view name) const {
  auto it = document_.find(name);
  return it == document_.end() ? nullptr : &*it;
}

Result<void> StateFile::writeSection(std::string_view name, nlohmann::json value) {
  nlohmann::json next = document_;
  next[std::string(name)] = std::move(value);
  std::string text;
  // The boundary: dump() throws on strings that are not UTF-8; replace them instead.
  try {
    text = next.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception& e) {
    return Error{fmt::format("cannot write state file {}: {}", path_, e.what())};
  }
  text += '\n';
  bool renamed = false;
  auto replaced = replaceAtomically(path_, text, renamed);
  if (renamed) document_ = std::move(next);
  if (!replaced)
    return Error{fmt::format("cannot write state file {}: {}", path_, replaced.error().message)};
  return {};
}

}  // namespace gatehouse::admin
