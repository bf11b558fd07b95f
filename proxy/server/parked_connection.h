#pragma once
// A kept-alive HTTP/1 connection parked while idle (http::Http1Parking): the socket with its TLS
// session, the client's address, and one event embedded here that waits for the client's next
// bytes (or FIN) and for the rest of client_idle, whichever comes first. A few hundred bytes in
// place of a codec's ~2 KiB of buffers, events and timers: 208 bytes, so that with make_shared's
// count block it fits jemalloc's 224-byte class (issue 18: at most 512 B per idle connection,
// measured by bench/idle_conns.py; the rest is the worker's registry entry and libevent's).

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
  // As it was when parked (an HTTP/1 connection: protocol is ClientInfo's default).
  http::ClientInfo client() const;
  // What is left of client_idle.
  Duration idleLeft() const;

 private:
  static void onEvent(evutil_socket_t, short what, void* self);
  void close();

  event event_;  // embedded: no allocation of its own; it holds the event_base too
  net::IdleSocket socket_;
  // http::ClientInfo's fields but its protocol (a string_view, always HTTP/1's default here).
  std::string client_ip_;
  uint16_t client_port_;
  uint16_t listener_;
  bool tls_;
  std::chrono::steady_clock::time_point deadline_;
  Owner& owner_;
};

}  // namespace gatehouse::server
