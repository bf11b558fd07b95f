#pragma once
// The cache as one snapshot of the config sees it: the shared store (which outlives reloads)
// and the `cache:` settings. Shared by the workers; immutable.

#include <memory>
#include <string>
#include <vector>

#include "cache/cache_store.h"
#include "config/config.h"
#include "proxy/base/clock.h"

namespace gatehouse::pipeline {

struct CachePolicy {
  std::shared_ptr<cache::CacheStore> store;
  config::CacheConfig config;
  const Clock* clock = &RealClock::instance();

  int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock->wallNow().time_since_epoch())
        .count();
  }
};

}  // namespace gatehouse::pipeline
