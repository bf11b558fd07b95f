#pragma once

#include <event2/util.h>
#include <openssl/ssl.h>

#include <memory>
#include <utility>

namespace gatehouse::net {

// A connected socket with nothing in flight, out of any TcpConnection: its fd and, under TLS,
// its established session (keys, sequence numbers). What an idle kept-alive connection keeps
// while parked (about 2 KiB less than a TcpConnection's buffers, events and timers). Closes the
// fd and frees the session when destroyed.
class IdleSocket {
 public:
  IdleSocket() = default;
  IdleSocket(evutil_socket_t fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  IdleSocket(IdleSocket&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), ssl_(std::move(other.ssl_)) {}
  IdleSocket& operator=(IdleSocket&& other) noexcept;
  ~IdleSocket() { reset(); }

  evutil_socket_t fd() const { return fd_; }
  SSL* ssl() const { return ssl_.get(); }
  // Graceful end of an idle connection: a TLS close_notify, then FIN.
  void shutdownWrite();
  void reset();
  // Hands both over (to a TcpConnection).
  evutil_socket_t releaseFd() { return std::exchange(fd_, -1); }
  SSL* releaseSsl() { return ssl_.release(); }

 private:
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  evutil_socket_t fd_ = -1;
  std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace gatehouse::net
