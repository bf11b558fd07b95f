#include "proxy/net/idle_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include "proxy/net/tls_errors.h"

namespace gatehouse::net {

IdleSocket& IdleSocket::operator=(IdleSocket&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    ssl_ = std::move(other.ssl_);
  }
  return *this;
}

void IdleSocket::shutdownWrite() {
  if (fd_ < 0) return;
  if (ssl_) {
    clearTlsErrors();
    SSL_shutdown(ssl_.get());  // close_notify; we do not wait for the peer's
    clearTlsErrors();
  }
  ::shutdown(fd_, SHUT_WR);
}

void IdleSocket::reset() {
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace gatehouse::net
