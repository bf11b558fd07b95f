// The feed of public PURGE/BAN invalidations that the cluster sync shares with other instances.
#include "proxy/pipeline/invalidation_feed.h"

#include <gtest/gtest.h>

namespace gatehouse::pipeline {
namespace {

TEST(InvalidationFeed, DeliversWhileSubscribedOnly) {
  InvalidationFeed feed;
  feed.publish(Invalidation{"http://h/a", "", {}});  // nobody listens: nothing happens
  std::vector<std::string> seen;
  auto subscription =
      feed.subscribe([&](const Invalidation& i) { seen.push_back(i.url_key + i.prefix); });
  feed.publish(Invalidation{"http://h/a", "", {}});
  feed.publish(Invalidation{"", "/blog/", {}});
  EXPECT_EQ(seen, (std::vector<std::string>{"http://h/a", "/blog/"}));
  subscription.reset();
  feed.publish(Invalidation{"http://h/b", "", {}});
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace gatehouse::pipeline
