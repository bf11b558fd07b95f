// EventLoop: what it releases when it goes.
#include "proxy/net/event_loop.h"

#include <event2/bufferevent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gatehouse::net {
namespace {

// A bufferevent freed while a deferred callback is queued holds a reference until that callback
// runs; a loop destroyed without turning again never ran it, and the bufferevent (its socket,
// an SSL for a bufferevent_openssl) leaked: the TLS bridge's relays at stop (LeakSanitizer).
TEST(EventLoop, ABufferEventFreedWithCallbacksQueuedIsReleasedWhenTheLoopGoes) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  {
    EventLoop loop;
    bufferevent* bev = bufferevent_socket_new(loop.base(), fds[0],
                                              BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    ASSERT_NE(bev, nullptr);
    bufferevent_setcb(
        bev, [](bufferevent*, void*) {}, nullptr, nullptr, nullptr);
    // Queues the read callback (deferred: it runs on the loop's next turn, holding a reference).
    bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
    bufferevent_free(bev);
  }
  // Released: BEV_OPT_CLOSE_ON_FREE closed our end, so the peer reads end of stream.
  char byte = 0;
  EXPECT_EQ(::read(fds[1], &byte, 1), 0);
  ::close(fds[1]);
}

}  // namespace
}  // namespace gatehouse::net
