#pragma once
// The entry points of config/: text or file in, a validated immutable Config out.
// No exception leaves these functions, whatever the input (the fuzzer holds us to it).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/base/result.h"

namespace gatehouse::config {

// Every top-level key of gatehouse.yaml, in the order INTERFACE.md lists them. Whatever walks
// the whole config (the reload policy and its test) walks this list.
inline constexpr std::string_view kTopLevelKeys[] = {
    "workers", "shutdown_grace", "state_file", "listeners", "admin",    "forward", "backends",
    "static",  "cache",          "read_only",  "routes",    "timeouts", "limits",  "log",
    "http2",   "cluster",
};

// Reads `path` and validates it. On failure Error::message holds every problem found (up to a cap),
// one per line, sorted by position, as "FILE:LINE:COL: KEY: why", where KEY is the dotted path
// of the offending key (`backends.app.servers[1].address`). A file that cannot be read gives one
// line "FILE: cannot read: why".
Result<std::shared_ptr<const Config>> loadConfigFile(const std::string& path);

// Same as loadConfigFile() for text already in memory; `source_name` stands in for FILE in
// messages and becomes Config::source. For tests and the fuzzer.
Result<std::shared_ptr<const Config>> loadConfigText(std::string_view yaml,
                                                     const std::string& source_name);

// Only the `admin:` section of the file at `path`, for `gatehouse ctl -c FILE`: the client needs
// the address and token, and must work while the rest of the file is being edited (so that
// `ctl reload` can show the server's own verdict on it). Errors as loadConfigFile(); a file
// without the section gives "FILE: no admin: section (the admin API is off)".
Result<AdminConfig> loadAdminConfigFile(const std::string& path);

// Warnings about a loaded config that is valid but likely a mistake (`gatehouse check` prints
// them; `run` logs them): "FILE:LINE:COL: key: warning: why", one per entry.
std::vector<std::string> lintConfig(const Config& config);

// The admin token in the file at `path` (`admin.token_file`, `ctl --token-file`): a regular
// file holding one line of visible ASCII, its trailing newline dropped. The error is the reason
// alone (`cannot read "F": why`, `the token in "F" is empty`).
Result<std::string> readAdminTokenFile(const std::string& path);

}  // namespace gatehouse::config
