#include "proxy/net/listener.h"

#include <fmt/format.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/base/log.h"

namespace gatehouse::net {

Result<std::unique_ptr<Listener>> Listener::open(event_base* base, const SocketAddress& address,
                                                 OnAccept on_accept, Sharing sharing) {
  std::unique_ptr<Listener> self(new Listener(std::move(on_accept)));
  unsigned flags =
      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE | LEV_OPT_DEFERRED_ACCEPT;
  if (sharing == Sharing::ReusePort) flags |= LEV_OPT_REUSEABLE_PORT;
  constexpr int kBacklog = 4096;
  self->listener_.reset(evconnlistener_new_bind(base, &Listener::onAccept, self.get(), flags,
                                                kBacklog, address.get(),
                                                static_cast<int>(address.length())));
  if (!self->listener_)
    return Error{fmt::format("cannot listen on {}: {}", address.toString(), std::strerror(errno))};
  evconnlistener_set_error_cb(self->listener_.get(), &Listener::onError);
  Listener* raw = self.get();
  self->resume_timer_ = std::make_unique<Timer>(base, [raw] {
    if (raw->listener_) evconnlistener_enable(raw->listener_.get());
  });
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(evconnlistener_get_fd(self->listener_.get()), reinterpret_cast<sockaddr*>(&bound),
              &len);
  self->bound_ = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&bound), len);
  return self;
}

Result<void> Listener::checkFree(const SocketAddress& address) {
  int fd = ::socket(address.get()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{fmt::format("cannot open a socket: {}", std::strerror(errno))};
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int bound = ::bind(fd, address.get(), address.length());
  const int err = errno;
  ::close(fd);
  if (bound == 0 || err != EADDRINUSE) return {};  // other errors show at the real bind
  return Error{fmt::format("{} is already in use", address.toString())};
}

void Listener::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len, void* self) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  static_cast<Listener*>(self)->on_accept_(
      fd, SocketAddress::fromSockaddr(sa, static_cast<socklen_t>(len)));
}

void Listener::onError(evconnlistener* listener, void* arg) {
  // EMFILE/ENFILE/ENOBUFS: the pending connection stays in the backlog and the socket stays
  // readable, so accepting again at once would spin. Pause for a moment instead.
  auto* self = static_cast<Listener*>(arg);
  int err = EVUTIL_SOCKET_ERROR();
  log::warn("accept on {} failed: {}; pausing accepts for 100ms", self->bound_.toString(),
            evutil_socket_error_to_string(err));
  evconnlistener_disable(listener);
  self->resume_timer_->arm(Duration(100));
}

}  // namespace gatehouse::net
