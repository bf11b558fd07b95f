#pragma once
// The cache as one snapshot of the config sees it: the shared store (which outlives reloads)
// and the `cache:` settings. Shared by the workers; immutable.
//
// watchReadOnly() keeps the store told when read-only mode ends: read_only.min_ttl gives
// anonymous views longer lives than their origin did, and those lives end with the mode.

#include <memory>
#include <string>
#include <vector>

#include "cache/cache_store.h"
#include "config/config.h"
#include "proxy/base/clock.h"
#include "proxy/gate/read_only_state.h"

namespace gatehouse::pipeline {

struct CachePolicy {
  std::shared_ptr<cache::CacheStore> store;
  config::CacheConfig config;
  // The admin token (admin.token; empty without an admin section): it also allows PURGE/BAN.
  std::string purge_token;
  const Clock* clock = &RealClock::instance();
  // watchReadOnly()'s subscription for `store`: one per store, handed from snapshot to snapshot
  // (null in tests that switch no mode).
  std::shared_ptr<const void> read_only_watch;

  int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock->wallNow().time_since_epoch())
        .count();
  }
};

// Calls store->endReadOnly() each time `state` switches off, for as long as the returned
// subscription lives (and the store does).
[[nodiscard]] std::shared_ptr<const void> watchReadOnly(gate::ReadOnlyState& state,
                                                        std::weak_ptr<cache::CacheStore> store);

}  // namespace gatehouse::pipeline
