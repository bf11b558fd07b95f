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

// reapMark(): what is kept for reuse waits for a reap after the callback that finished with it,
// and that reap comes even when nothing else was deferred; a mark taken inside a reap (by a
// destructor) waits for the next one.
TEST(EventLoop, AReapMarkPassesOnlyOnceAReapRanAfterTheCallback) {
  EventLoop loop;
  int destroyed = 0;
  uint64_t mark = 0;
  bool passed_inside = true;
  loop.post([&] {
    mark = loop.reapMark();
    passed_inside = loop.reaped(mark);
  });
  gatehouse::testing::runUntil(
      loop.base(), [&] { return mark != 0 && loop.reaped(mark); }, std::chrono::seconds(5));
  EXPECT_FALSE(passed_inside) << "not within the callback that took the mark";
  EXPECT_TRUE(loop.reaped(mark)) << "a reap runs for the mark alone";

  // A deferral and a mark in one callback: by the time the mark passes, the object is gone.
  uint64_t second = 0;
  loop.post([&] {
    auto m = std::make_unique<Mortal>();
    m->loop = &loop;
    m->destroyed = &destroyed;
    loop.deferDelete(std::move(m));
    second = loop.reapMark();
  });
  gatehouse::testing::runUntil(
      loop.base(), [&] { return second != 0 && loop.reaped(second); }, std::chrono::seconds(5));
  EXPECT_EQ(destroyed, 1);

  // Taken from a destructor inside a reap: that reap does not count.
  struct Marker {
    EventLoop* loop = nullptr;
    uint64_t* mark = nullptr;
    bool* passed = nullptr;
    ~Marker() {
      *mark = loop->reapMark();
      *passed = loop->reaped(*mark);
    }
  };
  uint64_t third = 0;
  bool passed_in_reap = true;
  loop.post([&] {
    auto marker = std::make_unique<Marker>();
    marker->loop = &loop;
    marker->mark = &third;
    marker->passed = &passed_in_reap;
    loop.deferDelete(std::move(marker));
  });
  gatehouse::testing::runUntil(
      loop.base(), [&] { return third != 0 && loop.reaped(third); }, std::chrono::seconds(5));
  EXPECT_FALSE(passed_in_reap);
  EXPECT_TRUE(loop.reaped(third));
}

}  // namespace
}  // namespace gatehouse::net
