#pragma once
// A worker's own listening socket. Every worker binds the same address with SO_REUSEPORT, so
// the kernel spreads connections over workers and no accept lock is needed.

#include <functional>

#include "proxy/base/result.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/net/socket_address.h"
#include "proxy/net/timer.h"

namespace gatehouse::net {

class Listener {
 public:
  using OnAccept = std::function<void(evutil_socket_t fd, const SocketAddress& peer)>;

  enum class Sharing { ReusePort, Exclusive };
  // Binds and listens; the fd is non-blocking and close-on-exec. ReusePort lets every worker
  // bind the same address; Exclusive (the admin API) makes a second process fail to bind
  // instead of silently sharing the port.
  static Result<std::unique_ptr<Listener>> open(event_base* base, const SocketAddress& address,
                                                OnAccept on_accept,
                                                Sharing sharing = Sharing::ReusePort);
  // Whether `address` is free for a new set of ReusePort sockets: binds a plain socket
  // (SO_REUSEADDR, so TIME_WAIT leftovers do not count, but no SO_REUSEPORT) and closes it.
  // Fails when anything listens there, which a ReusePort bind by the same user would
  // silently share (a second gatehouse taking half the traffic). Port 0 is always free.
  static Result<void> checkFree(const SocketAddress& address);
  // The bound address (its port is real even when port 0 was asked for).
  const SocketAddress& address() const { return bound_; }
  // Closes the socket: new connections to this worker are refused from now on.
  void close() {
    listener_.reset();
    resume_timer_.reset();
  }

 private:
  explicit Listener(OnAccept on_accept) : on_accept_(std::move(on_accept)) {}
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len, void* self);
  static void onError(evconnlistener*, void* self);

  OnAccept on_accept_;
  ListenerPtr listener_;
  std::unique_ptr<Timer> resume_timer_;  // re-enables accepting after EMFILE backs off
  SocketAddress bound_;
};

}  // namespace gatehouse::net
