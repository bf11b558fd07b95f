#include "admin-api/admin_server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <optional>

#include "admin-api/admin_exchange.h"
#include "admin-api/backend_state_store.h"
#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/read_only_persistence.h"
#include "proxy/base/log.h"

namespace gatehouse::admin {
namespace {

// Admin bodies are capped at kMaxBodyBytes by AdminExchange, which answers 413 in JSON. The
// codec's own cap sits above it and only stops a client that keeps sending after that answer.
constexpr uint64_t kCodecMaxBody = 1 << 20;

}  // namespace

AdminServer::AdminServer(net::EventLoop& loop, server::ProcessControl& control,
                         const config::AdminConfig& config, StateFile* state_file,
                         cluster::ClusterSync* cluster)
    : loop_(loop),
      control_(control),
      state_file_(state_file),
      cluster_(cluster),
      bound_address_(config.address),
      auth_config_(control.snapshot()->config),
      token_(config.token),
      auth_(std::make_unique<BearerAuth>(config.token)),
      parser_(settings_.limits),
      tails_(loop),
      history_(control),
      sample_timer_(loop.base(), [this] {
        history_.sample();
        sample_timer_.arm(std::chrono::seconds(1));
      }) {
  settings_.max_body = kCodecMaxBody;
  history_.sample();
  sample_timer_.arm(std::chrono::seconds(1));
  // The endpoints of INTERFACE.md's admin API; one line each.
  router_.add("GET", "/healthz", Access::Public, healthzEndpoint);
  router_.add("GET", "/status", Access::Token, statusEndpoint);
  router_.add("POST", "/reload", Access::Token, reloadEndpoint);
  router_.add("GET", "/metrics", Access::Token, metricsEndpoint);
  router_.add("POST", "/cache/purge", Access::Token, cachePurgeEndpoint);
  router_.add("POST", "/cache/ban", Access::Token, cacheBanEndpoint);
  router_.add("GET", "/backends", Access::Token, backendsEndpoint);
  router_.add("GET", "/backends/:pool", Access::Token, backendPoolEndpoint);
  router_.add("PUT", "/backends/:pool", Access::Token, setBackendPoolEndpoint);
  router_.add("GET", "/backends/:pool/:server", Access::Token, backendServerEndpoint);
  router_.add("PUT", "/backends/:pool/:server", Access::Token, setBackendServerEndpoint);
  router_.add("GET", "/read-only", Access::Token, readOnlyGetEndpoint);
  router_.add("PUT", "/read-only", Access::Token, readOnlyPutEndpoint);
  router_.add("GET", "/tail", Access::Token, tailEndpoint);
  router_.add("GET", "/status/history", Access::Token, historyEndpoint);
  router_.add("GET", "/cluster", Access::Token, clusterEndpoint);
  router_.add("GET", "/", Access::Public, statusPageEndpoint);
  router_.add("POST", "/login", Access::Public, loginEndpoint);
  router_.add("POST", "/logout", Access::Public, logoutEndpoint);
}

Result<std::unique_ptr<AdminServer>> AdminServer::start(net::EventLoop& loop,
                                                        server::ProcessControl& control,
                                                        const config::AdminConfig& config,
                                                        StateFile* state_file,
                                                        cluster::ClusterSync* cluster) {
  auto address = net::SocketAddress::resolve(config.address.host, config.address.port);
  if (!address)
    return Error{
        fmt::format("admin.address: {}: {}", config.address.text, address.error().message)};
  std::unique_ptr<AdminServer> self(new AdminServer(loop, control, config, state_file, cluster));
  AdminServer* raw = self.get();
  auto listener = net::Listener::open(
      loop.base(), *address,
      [raw](evutil_socket_t fd, const net::SocketAddress& peer) { raw->accept(fd, peer); },
      net::Listener::Sharing::Exclusive);
  if (!listener) return Error{fmt::format("admin.address: {}", listener.error().message)};
  self->listener_ = std::move(*listener);
  log::info("admin API listening on {}", self->address().toString());
  return self;
}

AdminServer::~AdminServer() {
  // The main loop has stopped: nothing is answered any more, so close rather than drain.
  listener_.reset();
  connections_.clear();
}

AdminContext AdminServer::context() {
  AdminContext c{control_,  counters_, state_file_, gate::ReadOnlyState::process(),
                 &history_, &tails_};
  c.auth = &auth();
  c.sessions = &sessions_;
  c.cluster = cluster_;
  const auto config = control_.snapshot()->config;
  if (config->admin) c.session_ttl = config->admin->session_ttl;
  return c;
}

const BearerAuth& AdminServer::auth() {
  std::shared_ptr<const config::Config> config = control_.snapshot()->config;
  if (config == auth_config_) return *auth_;
  // A reload (admin or SIGHUP) happened since the last request.
  auth_config_ = config;
  if (!config->admin) {
    log::warn(
        "admin: the configuration in force has no admin: section; the admin API keeps "
        "running on {} with its previous token until a restart",
        bound_address_.text);
    return *auth_;
  }
  if (config->admin->address != bound_address_) {
    log::warn("admin: admin.address is now {}; still listening on {} until a restart",
              config->admin->address.text, bound_address_.text);
  }
  if (config->admin->token != token_) {
    token_ = config->admin->token;
    auth_ = std::make_unique<BearerAuth>(token_);
    sessions_.clear();  // logins were made with the old token
    log::info("admin: token replaced by the reloaded configuration; status page sessions ended");
  }
  return *auth_;
}

void AdminServer::accept(evutil_socket_t fd, const net::SocketAddress& peer) {
  // The limits of the configuration in force (a reload applies them to new connections).
  std::shared_ptr<const config::Config> config = control_.snapshot()->config;
  const config::AdminConfig limits = config->admin ? *config->admin : config::AdminConfig{};
  settings_.client_header = limits.client_header;
  settings_.client_idle = limits.client_idle;
  if (!makeRoom(limits, peer)) {
    ::close(fd);
    return;
  }
  http::ClientInfo client{peer.ip(), peer.port(), false};
  http::ExchangeDispatcher& dispatcher = *this;
  auto connection = std::make_shared<http::Http1ServerConnection>(
      loop_, fd, client, settings_, parser_, dispatcher, ids_,
      [this](http::Http1ServerConnection* c) { onClosed(c); });
  http::Http1ServerConnection* key = connection.get();
  std::string address = clientAddress(client);
  by_address_[address] = key;
  connections_.emplace(
      key, Peer{std::move(connection), std::move(address), std::chrono::steady_clock::now()});
  key->start();
}

bool AdminServer::makeRoom(const config::AdminConfig& limits, const net::SocketAddress& peer) {
  if (connections_.size() >= limits.max_connections) {
    ++counters_.connections_refused;
    log::warn("admin: {} connections open; refusing {}", connections_.size(), peer.toString());
    return false;
  }
  size_t unauthenticated = 0;
  Peer* idlest = nullptr;
  for (auto& [raw, p] : connections_) {
    if (p.authenticated || p.closing) continue;
    ++unauthenticated;
    if (!idlest || p.last_active < idlest->last_active) idlest = &p;
  }
  if (unauthenticated < limits.max_unauthenticated || !idlest) return true;
  // Whoever holds these connections has not shown the token on them: the one that waited
  // longest makes room, so an operator's new connection always gets its turn.
  ++counters_.connections_evicted;
  log::warn("admin: {} connections without a token; closing the idlest ({}) for {}",
            unauthenticated, idlest->address, peer.toString());
  idlest->closing = true;
  idlest->connection->beginShutdown();  // may call onClosed() and erase it: nothing used after
  return true;
}

AdminServer::Peer* AdminServer::peerOf(const http::ClientInfo& client) {
  auto it = by_address_.find(clientAddress(client));
  if (it == by_address_.end()) return nullptr;
  auto peer = connections_.find(it->second);
  return peer == connections_.end() ? nullptr : &peer->second;
}

void AdminServer::markAuthenticated(const http::ClientInfo& client) {
  if (Peer* p = peerOf(client)) p->authenticated = true;
}

void AdminServer::onClosed(http::Http1ServerConnection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  by_address_.erase(it->second.address);
  // The connection is up the call stack: free it once the current callback has returned.
  loop_.deferDelete(std::move(it->second.connection));
  connections_.erase(it);
}

void AdminServer::dispatch(http::Exchange& exchange) {
  if (Peer* p = peerOf(exchange.client())) p->last_active = std::chrono::steady_clock::now();
  auto handler = std::make_unique<AdminExchange>(exchange, *this);
  AdminExchange* raw = handler.get();
  exchange.setHandler(std::move(handler));
  raw->start();
}

void AdminServer::onComplete(const http::Exchange& exchange) {
  const http::RequestHead& head = exchange.request();
  log::debug("admin: {} {} {} from {}", head.method, head.path(), exchange.record().status,
             exchange.client().ip);
}

namespace {

// What adminExtension() keeps alive while the process runs. The state file is opened once, at
// start, with the path then configured: one StateFile per process, so that the sections of
// different modules never overwrite each other (a changed state_file: needs a restart).
struct AdminRuntime {
  std::optional<StateFile> state_file;
  std::unique_ptr<cluster::ClusterSync> cluster;  // before the server, which points at it
  std::unique_ptr<AdminServer> server;
};

// How operators reach this instance, for /cluster: its admin address, else its first listener.
std::string instanceAddress(const config::Config& config) {
  if (config.admin) return config.admin->address.text;
  return config.listeners.empty() ? std::string() : config.listeners.front().address.text;
}

// After another instance's change was applied here: the state file keeps it too, so that a
// restart with Redis away comes back with it.
void saveAll(AdminRuntime& runtime, server::ProcessControl& control) {
  if (!runtime.state_file) return;
  auto saved = runtime.state_file->writeSection(
      kReadOnlySection, readOnlySection(gate::ReadOnlyState::process().view()));
  if (saved) saved = saveBackendStates(*control.snapshot(), &*runtime.state_file);
  if (!saved)
    log::error("cluster: a change of another instance was applied but not saved: {}",
               saved.error().message);
}

// Opens the state file and restores read-only mode from it (or from read_only.default), and
// the backends' drain/maint states and pools' pause.
void openStateAndRestore(const config::Config& config, const server::Snapshot& snapshot,
                         AdminRuntime& runtime) {
  std::string open_error;
  if (!config.state_file.empty()) {
    auto opened = StateFile::open(config.state_file);
    if (opened) {
      runtime.state_file.emplace(std::move(*opened));
    } else {
      open_error = opened.error().message;
      // Changes are still saved: the first one replaces the unusable file.
      runtime.state_file.emplace(StateFile::empty(config.state_file));
    }
  }
  const StateFile* usable =
      open_error.empty() && runtime.state_file ? &*runtime.state_file : nullptr;
  restoreReadOnly(usable, open_error, config.read_only, gate::ReadOnlyState::process());
  restoreBackendStates(usable, snapshot);
}

}  // namespace

server::Extension adminExtension() {
  return
      [](net::EventLoop& loop, server::ProcessControl& control) -> Result<std::shared_ptr<void>> {
        std::shared_ptr<const config::Config> config = control.snapshot()->config;
        auto runtime = std::make_shared<AdminRuntime>();
        openStateAndRestore(*config, *control.snapshot(), *runtime);
        if (config->cluster) {
          AdminRuntime* raw = runtime.get();
          runtime->cluster = std::make_unique<cluster::ClusterSync>(
              loop, control, *config->cluster, instanceAddress(*config),
              [raw, &control] { saveAll(*raw, control); });
          if (auto started = runtime->cluster->start(); !started) return started.error();
        }
        if (config->admin) {
          auto started = AdminServer::start(loop, control, *config->admin,
                                            runtime->state_file ? &*runtime->state_file : nullptr,
                                            runtime->cluster.get());
          if (!started) return started.error();
          runtime->server = std::move(*started);
        }
        return std::shared_ptr<void>(std::move(runtime));
      };
}

}  // namespace gatehouse::admin
