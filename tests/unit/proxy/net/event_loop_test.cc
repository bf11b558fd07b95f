// EventLoop: what it releases when it goes.
#include "proxy/net/event_loop.h"

#include <event2/bufferevent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "tests/support/loop_runner.h"

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

// Counts its destruction; may defer another object from its destructor, as an Exchange's
// handler does with what it owns.
struct Mortal {
  EventLoop* loop = nullptr;
  int* destroyed = nullptr;
  std::unique_ptr<Mortal> heir;  // deferred again when this one goes
  ~Mortal() {
    ++*destroyed;
    if (heir) loop->deferDelete(std::move(heir));
  }
};

TEST(EventLoop, DeferredObjectsOutliveTheCallbackAndAllGoOnTheNextTurns) {
  EventLoop loop;
  int destroyed = 0;
  auto make = [&] {
    auto m = std::make_unique<Mortal>();
    m->loop = &loop;
    m->destroyed = &destroyed;
    return m;
  };
  // A batch from one callback (an HTTP/2 read ending ten streams), sole and shared owners mixed,
  // one whose destructor defers another, and a second batch queued while the first waits: one
  // reap event serves them all, and none may be missed.
  loop.post([&] {
    for (int i = 0; i < 5; ++i)
      loop.deferDelete(make());
    auto parent = make();
    parent->heir = make();
    loop.deferDelete(std::move(parent));
    loop.deferDelete(std::shared_ptr<const void>(make()));
    EXPECT_EQ(destroyed, 0) << "nothing goes before the callback returns";
  });
  loop.post([&] { loop.deferDelete(make()); });
  gatehouse::testing::runUntil(
      loop.base(), [&] { return destroyed == 9; }, std::chrono::seconds(5));
  EXPECT_EQ(destroyed, 9);
  // And the next deferral, with both graveyards empty again, schedules a new round.
  loop.post([&] { loop.deferDelete(make()); });
  gatehouse::testing::runUntil(
      loop.base(), [&] { return destroyed == 10; }, std::chrono::seconds(5));
  EXPECT_EQ(destroyed, 10);
}

// deferRelease(): the object goes back (to a pool) after the callback, never inside it, and in
// turn with the deletions: a handler deferred before its exchange is gone when the exchange is
// released.
TEST(EventLoop, ADeferredReleaseRunsAfterTheCallbackInTurnWithDeletions) {
  EventLoop loop;
  int destroyed = 0;
  int released = 0;
  int destroyed_at_release = -1;
  bool released_inside = true;
  struct Released {
    int* count;
    int* destroyed;
    int* destroyed_at_release;
  } target{&released, &destroyed, &destroyed_at_release};
  loop.post([&] {
    auto m = std::make_unique<Mortal>();
    m->loop = &loop;
    m->destroyed = &destroyed;
    loop.deferDelete(std::move(m));
    loop.deferRelease(&target, [](void* p) {
      auto* t = static_cast<Released*>(p);
      ++*t->count;
      *t->destroyed_at_release = *t->destroyed;
    });
    released_inside = released > 0;
  });
  gatehouse::testing::runUntil(
      loop.base(), [&] { return released == 1; }, std::chrono::seconds(5));
  EXPECT_FALSE(released_inside);
  EXPECT_EQ(released, 1);
  EXPECT_EQ(destroyed_at_release, 1) << "what was deferred first went first";
}

// A loop destroyed with work still queued (a worker stopped between a request's end and the
// next turn) runs all of it once: deletions, releases, and what their destructors defer as they
// go, which used to be appended to the queue being walked.
TEST(EventLoop, WhatIsQueuedWhenTheLoopGoesIsDestroyedOrReleasedOnce) {
  int destroyed = 0;
  int released = 0;
  {
    EventLoop loop;
    auto make = [&] {
      auto m = std::make_unique<Mortal>();
      m->loop = &loop;
      m->destroyed = &destroyed;
      return m;
    };
    // Enough heirs that the queue must grow while it is walked.
    for (int i = 0; i < 20; ++i) {
      auto parent = make();
      parent->heir = make();
      parent->heir->heir = make();
      loop.deferDelete(std::move(parent));
    }
    loop.deferDelete(std::shared_ptr<const void>(make()));
    loop.deferRelease(&released, [](void* p) { ++*static_cast<int*>(p); });
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 61);
  EXPECT_EQ(released, 1);
}

}  // namespace
}  // namespace gatehouse::net
