#include "proxy/net/event_loop.h"

#include <event2/thread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace gatehouse::net {

void initLibeventThreading() {
  [[maybe_unused]] static const int once = evthread_use_pthreads();
}

namespace {
EventBasePtr newUnlockedBase() {
  event_config* config = event_config_new();
  if (!config) return nullptr;
  event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK);
  EventBasePtr base(event_base_new_with_config(config));
  event_config_free(config);
  return base;
}
}  // namespace

EventLoop::EventLoop()
    : base_(newUnlockedBase()), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  // Out of memory or fds at start-up: nothing sensible to do.
  if (!base_ || wake_fd_ < 0) std::abort();
  // The wake-up event stays pending, so the loop keeps running while a worker is idle.
  posted_event_.reset(
      event_new(base_.get(), wake_fd_, EV_READ | EV_PERSIST, &EventLoop::onPosted, this));
  reap_event_.reset(event_new(base_.get(), -1, 0, &EventLoop::onReap, this));
  event_add(posted_event_.get(), nullptr);
}

EventLoop::~EventLoop() {
  // Posted tasks are for a running loop: none runs from here on.
  posted_event_.reset();
  // What a destructor defers as it goes (a handler its upstream link) is queued behind it: take
  // the queues whole, so that nothing is appended to one being walked, until none is left.
  while (!owned_graveyard_.empty() || !graveyard_.empty()) {
    std::vector<Owned> owned;
    owned.swap(owned_graveyard_);
    for (const Owned& o : owned)
      o.destroy(o.object);
    std::vector<std::shared_ptr<const void>> shared;
    shared.swap(graveyard_);
  }
  reap_event_.reset();
  // A bufferevent freed while its deferred callbacks were queued (the TLS bridge's, freed with
  // its cluster link at stop) is released by those callbacks, which only a turn of the loop runs:
  // event_base_free drops them, and the bufferevent, its socket and its SSL leaked. One pass
  // that does not wait runs them; the callbacks were cleared when the bufferevent was freed, so
  // nothing of ours is called.
  event_base_loop(base_.get(), EVLOOP_NONBLOCK);
  ::close(wake_fd_);
}

void EventLoop::run() {
  event_base_dispatch(base_.get());
}

void EventLoop::stop() {
  post([this] { event_base_loopbreak(base_.get()); });
}

void EventLoop::post(std::function<void()> task) {
  bool was_empty = false;
  {
    std::lock_guard lock(posted_mutex_);
    was_empty = posted_.empty();
    posted_.push_back(std::move(task));
  }
  // A queue that was not empty has a wake-up on its way already.
  if (!was_empty) return;
  const uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void EventLoop::onPosted(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  // Cleared before the queue is taken: a task posted after the swap wakes the loop again.
  uint64_t count = 0;
  while (::read(loop->wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(loop->posted_mutex_);
    tasks.swap(loop->posted_);
  }
  for (auto& task : tasks)
    task();
}

void EventLoop::deferDelete(std::shared_ptr<const void> object) {
  const bool scheduled = reapScheduled();
  graveyard_.push_back(std::move(object));
  if (!scheduled) scheduleReap();
}

void EventLoop::scheduleReap() {
  reap_pending_ = true;
  event_active(reap_event_.get(), EV_TIMEOUT, 0);
}

void EventLoop::onReap(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  loop->reap_pending_ = false;
  // Destructors may defer further deletions; swap first so those land in the next round.
  // Sole-owned objects first, in the order they came: an Exchange (or the handler of one going
  // back to its pool, then the exchange) goes before the connection it was queued ahead of (a
  // handler's destructor may still talk to the codec through its exchange).
  loop->owned_dying_.swap(loop->owned_graveyard_);
  std::vector<std::shared_ptr<const void>> dead;
  dead.swap(loop->graveyard_);
  for (const Owned& o : loop->owned_dying_)
    o.destroy(o.object);
  loop->owned_dying_.clear();
  dead.clear();
}

}  // namespace gatehouse::net
