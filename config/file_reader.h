#pragma once
// Reads a whole file that must stay small, with plain read(2) so that errno says what went
// wrong. The loader must always return, so a file past `max_bytes` is refused rather than
// read on (a config that is really /dev/zero).

#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace gatehouse::config {

// Reads fd to its end and closes it. Past max_bytes: "larger than <limit_text>; is this the
// right file?".
Result<std::string> readAllBounded(int fd, size_t max_bytes, std::string_view limit_text);

// Opens `path` and reads it with readAllBounded(). Only regular files: a FIFO or a device would
// block or never end. The error is the reason alone ("No such file or directory", "not a
// regular file", "larger than ...").
Result<std::string> readRegularFile(const std::string& path, size_t max_bytes,
                                    std::string_view limit_text);

}  // namespace gatehouse::config
