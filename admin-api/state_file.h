#pragma once
// The state file (`state_file:` in gatehouse.yaml): what the operator changed at run time and
// what must survive a restart or a crash — read-only mode, backend states. One JSON object whose
// top-level keys are named sections, each owned by one module:
//   {"read_only": {"enabled": true, "reason": "db migration", "since": "..."},
//    "backends": {...}}
//
// Writes are atomic and durable: the whole document goes to a temporary file in the same
// directory, which is fsync'ed, renamed over the state file, and the directory fsync'ed. A crash
// at any point leaves either the old file or the new one, never a mix or an empty file.
//
// Not thread-safe: one StateFile per process, owned and used on the main loop (the admin API
// and the start-up code run there). A second instance on the same path would overwrite the
// sections the first one wrote.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace gatehouse::admin {

class StateFile {
 public:
  // Reads the state file at `path`. A missing file is an empty document (a first start); the
  // file is only created by the first writeSection(). A file that cannot be read, is not JSON,
  // is not a JSON object or is unreasonably large is an error saying why ("PATH: not valid JSON:
  // ..."); the caller logs it, starts in its configured safe default, and may carry on with
  // empty(path), whose first write replaces the bad file.
  static Result<StateFile> open(std::string path);
  // An empty document for `path`, without reading it.
  static StateFile empty(std::string path);

  const std::string& path() const { return path_; }

  // The section called `name`, or nullptr when the document has none. Valid until the next
  // writeSection().
  const nlohmann::json* section(std::string_view name) const;

  // Replaces (or adds) section `name` and rewrites the whole file atomically, keeping the other
  // sections. On error the file on disk and this object are left as they were, and the error
  // says what failed ("cannot write state file PATH: create a temporary file in DIR: Permission
  // denied"). The one exception: when only the final fsync of the directory fails, the new
  // document is in place (in the file and here) but may not survive a power cut.
  Result<void> writeSection(std::string_view name, nlohmann::json value);

 private:
  StateFile(std::string path, nlohmann::json document)
      : path_(std::move(path)), document_(std::move(document)) {}

  std::string path_;
  nlohmann::json document_;  // always an object
};

}  // namespace gatehouse::admin
