#pragma once
// The entry points of config/: text or file in, a validated immutable Config out.
// No exception leaves these functions, whatever the input (the fuzzer holds us to it).

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/base/result.h"

namespace gatehouse::config {

// Reads `path` and validates it. On failure Error::message holds every problem found (up to a cap),
// one per line, sorted by position, as "FILE:LINE:COL: KEY: why", where KEY is the dotted path
// of the offending key (`backends.app.servers[1].address`). A file that cannot be read gives one
// line "FILE: cannot read: why".
Result<std::shared_ptr<const Config>> loadConfigFile(const std::string& path);

// Same as loadConfigFile() for text already in memory; `source_name` stands in for FILE in
// messages and becomes Config::source. For tests and the fuzzer.
Result<std::shared_ptr<const Config>> loadConfigText(std::string_view yaml,
                                                     const std::string& source_name);

}  // namespace gatehouse::config
