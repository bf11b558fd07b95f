#include "proxy/pipeline/cache_policy.h"

#include "proxy/base/log.h"

namespace gatehouse::pipeline {

std::shared_ptr<const void> watchReadOnly(gate::ReadOnlyState& state,
                                          std::weak_ptr<cache::CacheStore> store) {
  return state.onSwitchedOff([store = std::move(store)] {
    auto live = store.lock();
    if (!live) return;
    const size_t dropped = live->endReadOnly();
    log::info("cache: read-only mode ended: dropped {} objects kept only for it", dropped);
  });
}

}  // namespace gatehouse::pipeline
