#include "proxy/net/evbuffer_reference.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/net/libevent_ptr.h"

namespace gatehouse::net {
namespace {

TEST(EvbufferReference, KeepsTheOwnerAliveUntilTheBytesAreDrained) {
  auto owner = std::make_shared<const std::string>("hello, world");
  EvbufferPtr buf = makeEvbuffer();
  ASSERT_TRUE(addSharedReference(buf.get(), std::string_view(*owner).substr(7), owner));
  EXPECT_EQ(owner.use_count(), 2);

  std::string out(evbuffer_get_length(buf.get()), '\0');
  evbuffer_remove(buf.get(), out.data(), out.size());
  EXPECT_EQ(out, "world");
  EXPECT_EQ(owner.use_count(), 1);  // drained: libevent let go of the bytes
}

TEST(EvbufferReference, ReleasesTheOwnerWhenTheBufferIsFreedUndrained) {
  auto owner = std::make_shared<const std::string>("abc");
  EvbufferPtr buf = makeEvbuffer();
  ASSERT_TRUE(addSharedReference(buf.get(), *owner, owner));
  buf.reset();
  EXPECT_EQ(owner.use_count(), 1);
}

}  // namespace
}  // namespace gatehouse::net
