#include "config/file_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gatehouse::config {

Result<std::string> readAllBounded(int fd, size_t max_bytes, std::string_view limit_text) {
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return Error{std::strerror(saved)};
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      ::close(fd);
      return Error{fmt::format("larger than {}; is this the right file?", limit_text)};
    }
  }
  ::close(fd);
  return text;
}

Result<std::string> readRegularFile(const std::string& path, size_t max_bytes,
                                    std::string_view limit_text) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error{std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{"not a regular file"};
  }
  return readAllBounded(fd, max_bytes, limit_text);
}

}  // namespace gatehouse::config
