#pragma once
// Where a new BackendConnection gets its transport: the seam between the upstream and
// connect(2). Workers use tcp(), a non-blocking TCP connect to the server's address; unit tests
// hand out one end of a socketpair instead (tests/support/fake_backend.h), so that the
// ConnectionPool and the UpstreamHandler run whole exchanges without a network.
//
// Called once per new backend connection (never for a pooled one), next to the connect(2) it
// stands for.

#include <memory>

#include "health/server.h"
#include "proxy/base/duration.h"
#include "proxy/net/tcp_connection.h"

namespace gatehouse::upstream {

class BackendConnector {
 public:
  virtual ~BackendConnector() = default;
  // Starts a connection to `server`. `handler` hears onConnected() or
  // onClose(ConnectFailed / ConnectTimeout), never from inside open().
  virtual std::unique_ptr<net::TcpConnection> open(event_base* base, const health::Server& server,
                                                   Duration connect_timeout,
                                                   net::TcpConnection::Handler& handler) = 0;

  // connect(2) to server.address() with `connect_timeout` (0: none). Stateless, shared.
  static BackendConnector& tcp();
};

}  // namespace gatehouse::upstream
