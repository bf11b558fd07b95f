#pragma once
// The invalidations answered on the public listeners (PURGE, BAN: purge_request.h), for whoever
// shares them beyond this process: the cluster sync (admin-api/cluster) subscribes when
// `cluster:` is configured. With nobody subscribed a purge pays one atomic load here.
//
// publish() runs on the worker thread that answered the request; a subscriber that lives on
// another loop posts to it.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gatehouse::pipeline {

// Exactly one of: a URL's primary cache key, a path prefix, tags.
struct Invalidation {
  std::string url_key;
  std::string prefix;
  std::vector<std::string> tags;
};

class InvalidationFeed {
 public:
  using Subscriber = std::function<void(const Invalidation&)>;

  static InvalidationFeed& process();

  // Calls `f` for each invalidation for as long as the returned subscription is kept.
  [[nodiscard]] std::shared_ptr<const void> subscribe(Subscriber f);
  void publish(const Invalidation& invalidation);

 private:
  std::atomic<bool> any_{false};
  std::mutex mu_;
  std::vector<std::weak_ptr<const Subscriber>> subscribers_;
};

}  // namespace gatehouse::pipeline
