#pragma once
// The blocking HTTP/1.1 client of `gatehouse ctl`: one request per connection, every step
// bounded by a timeout, the response read with the proxy's own strict parser (Http1Parser,
// ChunkedDecoder). A command-line tool waits for one answer, so plain blocking sockets with
// poll() are simpler here than an event loop.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

  // GET `path` of a streaming endpoint (GET /tail): `on_data` gets the body's bytes as they
  // come, until it returns false, `until` passes, or the stream ends. A non-200 answer is
  // returned whole, as send() would; a 200 stream returns an empty 200 reply when it stops.
  using OnData = std::function<bool(std::string_view)>;
  Result<AdminReply> stream(std::string_view path, const OnData& on_data,
                            std::optional<std::chrono::steady_clock::time_point> until = {}) const;

 private:
  class Socket {
   public:
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket();
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int get() const { return fd_; }

   private:
    int fd_;
  };
  // Connects and sends the request: the socket, or why not.
  Result<std::unique_ptr<Socket>> open(std::string_view method, std::string_view path,
                                       std::string_view body) const;

  AdminAddress address_;
  std::string token_;
  Timeouts timeouts_;
};

}  // namespace gatehouse::admin
