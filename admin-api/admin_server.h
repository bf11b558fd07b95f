#pragma once
// The admin API's listener on the main loop (DESIGN.md: the admin API and the health checker
// run there). It reuses the HTTP/1.1 codec of the data path with its own dispatcher; each
// request becomes an AdminExchange (admin_exchange.h), which checks the token, reads the body
// and calls the endpoint the Router picked.
//
// Lifetime: started by the Extension that the CLI passes to server::run() once the proxy's
// listeners are bound; destroyed when the main loop has stopped, closing every connection.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "admin-api/auth.h"
#include "admin-api/endpoint.h"
#include "admin-api/router.h"
#include "admin-api/session_store.h"
#include "admin-api/state_file.h"
#include "admin-api/tail_hub.h"
#include "admin-api/traffic_history.h"
#include "config/config.h"
#include "proxy/http/http1_server_connection.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/listener.h"
#include "proxy/net/timer.h"
#include "proxy/server/process_control.h"

namespace gatehouse::admin {

class AdminServer final : private http::ExchangeDispatcher {
 public:
  // Binds config.address on `loop`. Errors say which address and why. `state_file` is where
  // changes are persisted (it must outlive the server); nullptr when none is configured.
  static Result<std::unique_ptr<AdminServer>> start(net::EventLoop& loop,
                                                    server::ProcessControl& control,
                                                    const config::AdminConfig& config,
                                                    StateFile* state_file = nullptr,
                                                    cluster::ClusterSync* cluster = nullptr);
  ~AdminServer() override;
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  const net::SocketAddress& address() const { return listener_->address(); }

  // For AdminExchange.
  const Router& router() const { return router_; }
  // The token check for the configuration in force: a reload that rotates the token takes
  // effect with the next request.
  const BearerAuth& auth();
  AdminContext context();
  SessionStore& sessions() { return sessions_; }
  AdminCounters& counters() { return counters_; }
  // The connection of `client` showed a valid token: it is never closed to make room.
  void markAuthenticated(const http::ClientInfo& client);

 private:
  AdminServer(net::EventLoop& loop, server::ProcessControl& control,
              const config::AdminConfig& config, StateFile* state_file,
              cluster::ClusterSync* cluster);
  // One admin connection: authenticated once a request on it showed the token; closing once it
  // was chosen to make room (it finishes what it is answering, then closes).
  struct Peer {
    std::shared_ptr<http::Http1ServerConnection> connection;
    std::string address;  // "ip:port", how an exchange names its connection
    std::chrono::steady_clock::time_point last_active;
    bool authenticated = false;
    bool closing = false;
  };

  void accept(evutil_socket_t fd, const net::SocketAddress& peer);
  void onClosed(http::Http1ServerConnection* connection);
  // Below the hard cap, the unauthenticated connections are kept under their own cap by closing
  // the least recently active of them. False when the hard cap leaves no room.
  bool makeRoom(const config::AdminConfig& limits, const net::SocketAddress& peer);
  Peer* peerOf(const http::ClientInfo& client);

  // http::ExchangeDispatcher
  void dispatch(http::Exchange& exchange) override;
  void onComplete(const http::Exchange& exchange) override;

  net::EventLoop& loop_;
  server::ProcessControl& control_;
  StateFile* state_file_;
  cluster::ClusterSync* cluster_;  // null without `cluster:`
  Router router_;
  AdminCounters counters_;
  // The admin section the listener was started with, and the one whose token auth_ checks.
  config::Address bound_address_;
  std::shared_ptr<const config::Config> auth_config_;
  std::string token_;
  std::unique_ptr<BearerAuth> auth_;
  http::Http1Settings settings_;
  http::Http1Parser parser_;
  http::RequestIdGenerator ids_;
  TailHub tails_;  // before the connections: their streams leave it when they close
  SessionStore sessions_;
  std::unique_ptr<net::Listener> listener_;
  std::unordered_map<http::Http1ServerConnection*, Peer> connections_;
  std::unordered_map<std::string, http::Http1ServerConnection*> by_address_;
  TrafficHistory history_;
  net::Timer sample_timer_;  // one history sample a second
};

// What the CLI passes to server::run(): opens the state file (state_file:) and restores
// read-only mode from it (or read_only.default), whether or not the admin API runs; with a
// `cluster:` section, loads the site's shared state over that and starts the cluster sync; then
// starts an AdminServer when the configuration has an `admin:` section. Runs before the workers
// start, so no request is served in the wrong mode.
server::Extension adminExtension();

}  // namespace gatehouse::admin
