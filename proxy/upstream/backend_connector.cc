#include "proxy/upstream/backend_connector.h"

namespace gatehouse::upstream {
namespace {

class TcpBackendConnector final : public BackendConnector {
 public:
  std::unique_ptr<net::TcpConnection> open(event_base* base, const health::Server& server,
                                           Duration connect_timeout,
                                           net::TcpConnection::Handler& handler) override {
    return net::TcpConnection::connect(base, server.address(), connect_timeout, handler);
  }
};

}  // namespace

BackendConnector& BackendConnector::tcp() {
  static TcpBackendConnector connector;
  return connector;
}

}  // namespace gatehouse::upstream
