#pragma once
// The blocking HTTP/1.1 client of `gatehouse ctl`: one request per connection, every step
// bounded by a timeout, the response read with the proxy's own strict parser (Http1Parser,
// ChunkedDecoder). A command-line tool waits for one answer, so plain blocking sockets with
// poll() are simpler here than an event loop.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/duration.h"
#include "proxy/base/result.h"

namespace gatehouse::admin {

struct AdminAddress {
  std::string host;  // a name or a literal, brackets removed from IPv6
  uint16_t port = 0;
  std::string text;  // as given, for messages
};

// "http://127.0.0.1:9901", "http://[::1]:9901/", "127.0.0.1:9901" or "localhost:9901". The admin
// API speaks plain HTTP on a trusted address, so https:// is refused rather than downgraded.
Result<AdminAddress> parseAdminAddress(std::string_view url);

struct AdminReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

class AdminClient {
 public:
  struct Timeouts {
    Duration connect{3000};
    // A reload re-reads the config, certificates and backend names before it answers.
    Duration response{30000};
  };

  AdminClient(AdminAddress address, std::string token, Timeouts timeouts)
      : address_(std::move(address)), token_(std::move(token)), timeouts_(timeouts) {}
  AdminClient(AdminAddress address, std::string token)
      : AdminClient(std::move(address), std::move(token), Timeouts{}) {}

  // Sends one request (`body` as application/json when not empty) and reads the reply. Any
  // status is a reply; the error is for no reply at all: "cannot connect to HOST:PORT:
  // Connection refused", a timeout, or a response that does not parse.
  Result<AdminReply> send(std::string_view method, std::string_view path,
                          std::string_view body = {}) const;

 private:
  AdminAddress address_;
  std::string token_;
  Timeouts timeouts_;
};

}  // namespace gatehouse::admin
