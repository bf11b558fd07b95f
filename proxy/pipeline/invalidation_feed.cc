#include "proxy/pipeline/invalidation_feed.h"

#include <algorithm>

namespace gatehouse::pipeline {

InvalidationFeed& InvalidationFeed::process() {
  static InvalidationFeed feed;
  return feed;
}

std::shared_ptr<const void> InvalidationFeed::subscribe(Subscriber f) {
  auto subscription = std::make_shared<const Subscriber>(std::move(f));
  std::lock_guard lock(mu_);
  subscribers_.push_back(subscription);
  any_.store(true, std::memory_order_release);
  return subscription;
}

void InvalidationFeed::publish(const Invalidation& invalidation) {
  if (!any_.load(std::memory_order_acquire)) return;
  std::vector<std::shared_ptr<const Subscriber>> live;
  {
    std::lock_guard lock(mu_);
    std::erase_if(subscribers_, [](const auto& w) { return w.expired(); });
    for (const auto& w : subscribers_)
      if (auto s = w.lock()) live.push_back(std::move(s));
    any_.store(!subscribers_.empty(), std::memory_order_release);
  }
  for (const auto& s : live)
    (*s)(invalidation);
}

}  // namespace gatehouse::pipeline
