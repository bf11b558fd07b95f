#pragma once
// RAII owners for libevent objects: one unique_ptr alias per type, each with its free function.

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <memory>

namespace gatehouse::net {

template <typename T, void (*Free)(T*)>
struct LibeventDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

using EventBasePtr = std::unique_ptr<event_base, LibeventDeleter<event_base, event_base_free>>;
using EventPtr = std::unique_ptr<event, LibeventDeleter<event, event_free>>;
using BuffereventPtr = std::unique_ptr<bufferevent, LibeventDeleter<bufferevent, bufferevent_free>>;
using EvbufferPtr = std::unique_ptr<evbuffer, LibeventDeleter<evbuffer, evbuffer_free>>;
using ListenerPtr =
    std::unique_ptr<evconnlistener, LibeventDeleter<evconnlistener, evconnlistener_free>>;

inline EvbufferPtr makeEvbuffer() {
  return EvbufferPtr(evbuffer_new());
}

}  // namespace gatehouse::net
