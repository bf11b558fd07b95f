#include "proxy/net/event_loop.h"

#include <event2/thread.h>

#include <cstdlib>

namespace gatehouse::net {

void initLibeventThreading() {
  [[maybe_unused]] static const int once = evthread_use_pthreads();
}

EventLoop::EventLoop() : base_(event_base_new()) {
  if (!base_) std::abort();  // out of memory or fds at start-up: nothing sensible to do
  posted_event_.reset(event_new(base_.get(), -1, EV_PERSIST, &EventLoop::onPosted, this));
  reap_event_.reset(event_new(base_.get(), -1, 0, &EventLoop::onReap, this));
  // The posted-task event stays pending so the loop keeps running while a worker is idle.
  timeval forever{86400 * 365, 0};
  event_add(posted_event_.get(), &forever);
}

EventLoop::~EventLoop() {
  for (const Owned& o : owned_graveyard_)
    o.destroy(o.object);
  owned_graveyard_.clear();
  graveyard_.clear();
  reap_event_.reset();
  posted_event_.reset();
}

void EventLoop::run() {
  event_base_dispatch(base_.get());
}

void EventLoop::stop() {
  post([this] { event_base_loopbreak(base_.get()); });
}

void EventLoop::post(std::function<void()> task) {
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(std::move(task));
  }
  event_active(posted_event_.get(), EV_TIMEOUT, 0);
}

void EventLoop::onPosted(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(loop->posted_mutex_);
    tasks.swap(loop->posted_);
  }
  for (auto& task : tasks)
    task();
}

void EventLoop::deferDelete(std::shared_ptr<const void> object) {
  graveyard_.push_back(std::move(object));
  scheduleReap();
}

void EventLoop::scheduleReap() {
  event_active(reap_event_.get(), EV_TIMEOUT, 0);
}

void EventLoop::onReap(evutil_socket_t, short, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  // Destructors may defer further deletions; swap first so those land in the next round.
  // Sole-owned objects first: an Exchange goes before the connection it was queued ahead of
  // (its handler's destructor may still talk to the codec).
  loop->owned_dying_.swap(loop->owned_graveyard_);
  std::vector<std::shared_ptr<const void>> dead;
  dead.swap(loop->graveyard_);
  for (const Owned& o : loop->owned_dying_)
    o.destroy(o.object);
  loop->owned_dying_.clear();
  dead.clear();
}

}  // namespace gatehouse::net
