#pragma once
// A kept-alive HTTP/1 connection parked while idle (http::Http1Parking): the socket with its TLS
// session, the client's address, and one event embedded here that waits for the client's next
// bytes (or FIN) and for the rest of client_idle, whichever comes first. A few hundred bytes in
// place of a codec's ~2 KiB of buffers, events and timers.

#include <event2/event_struct.h>

#include <functional>

#include "proxy/base/duration.h"
#include "proxy/http/exchange.h"
#include "proxy/http/server_connection.h"
#include "proxy/net/tcp_connection.h"

namespace gatehouse::server {

class ParkedConnection final : public http::ServerConnection {
 public:
  // What becomes of it: the client spoke (wake: a codec resumes the socket) or the idle time
  // ran out or the worker stopped (closed: the socket is already closed).
  struct Owner {
    virtual ~Owner() = default;
    virtual void wake(ParkedConnection& parked) = 0;
    virtual void closed(ParkedConnection& parked) = 0;
  };

  ParkedConnection(event_base* base, net::IdleSocket socket, http::ClientInfo client,
                   Duration idle_left, Owner& owner);
  ~ParkedConnection() override;
  ParkedConnection(const ParkedConnection&) = delete;
  ParkedConnection& operator=(const ParkedConnection&) = delete;

  void start() override;
  // Stopping: an idle HTTP/1 connection ends at once, as Http1ServerConnection's would (a TLS
  // close_notify, FIN, close).
  void beginShutdown() override;

  // For the codec that resumes it.
  net::IdleSocket takeSocket();
  const http::ClientInfo& client() const { return client_; }
  // What is left of client_idle.
  Duration idleLeft() const;

 private:
  static void onEvent(evutil_socket_t, short what, void* self);
  void close();

  event event_;  // embedded: no allocation of its own
  event_base* base_;
  net::IdleSocket socket_;
  http::ClientInfo client_;
  std::chrono::steady_clock::time_point deadline_;
  Owner& owner_;
};

}  // namespace gatehouse::server
