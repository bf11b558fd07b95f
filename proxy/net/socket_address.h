#pragma once
// A numeric socket address (IPv4 or IPv6), resolved once at start-up, never on the data path.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace gatehouse::net {

class SocketAddress {
 public:
  SocketAddress() = default;
  // Resolves host (numeric or a name, via getaddrinfo) and port. Blocking: start-up only.
  static Result<SocketAddress> resolve(const std::string& host, uint16_t port);
  static SocketAddress fromSockaddr(const sockaddr* sa, socklen_t len);

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  void setPort(uint16_t port);
  // "127.0.0.1" or "::1" (no port, no brackets): what X-Forwarded-For carries.
  std::string ip() const;
  // "127.0.0.1:80" or "[::1]:80".
  std::string toString() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace gatehouse::net
