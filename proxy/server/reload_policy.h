#pragma once
// What a reload may change. Every top-level key of gatehouse.yaml (config::kTopLevelKeys) has
// a rule here: either a reload applies it, or a reload that changes it is refused with
// `FILE:LINE:COL: key: needs a restart` and the running configuration stays (nginx and
// HAProxy apply nearly everything; what a running process cannot move without dropping
// clients is refused rather than silently kept, so that "reloaded" is never a lie).
// docs/INTERFACE.md lists the same table for operators.

#include <span>
#include <string_view>

#include "config/config.h"
#include "proxy/base/result.h"

namespace gatehouse::server {

enum class OnReload {
  Applies,        // the whole key takes effect for new connections and requests
  PartlyApplies,  // some sub-keys need a restart (see `restart`)
  NeedsRestart,   // any change is refused
};

struct ReloadRule {
  std::string_view key;  // a top-level key
  OnReload on_reload;
  std::string_view restart;  // for PartlyApplies: what needs a restart, in words
};

// One rule per config::kTopLevelKeys entry, in the same order.
std::span<const ReloadRule> reloadRules();

// Whether `next` may replace `running` by a reload. The error names every key that changed
// but needs a restart, one per line: `FILE:LINE:COL: key: needs a restart (why)`, the
// position being that of the key in `next`'s file (or the file alone when it left the key out).
Result<void> checkReloadable(const config::Config& running, const config::Config& next);

}  // namespace gatehouse::server
