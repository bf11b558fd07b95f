#pragma once
// Everything the data path derives from one Config: resolved pools, the router, codec
// settings. Immutable once built and shared by all workers; a reload builds a new one.

#include <memory>
#include <vector>

#include "config/config.h"
#include "proxy/base/result.h"
#include "proxy/http/http1_server_connection.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/net/tls_context.h"
#include "proxy/pipeline/cache_policy.h"
#include "proxy/routing/router.h"
#include "proxy/static_files/static_site.h"
#include "proxy/upstream/backend_connection.h"
#include "proxy/upstream/backend_pool.h"

namespace gatehouse::server {

// A listener as workers run it: its options and, for TLS, the context new handshakes use.
struct ListenerRuntime {
  const config::ListenerConfig* config = nullptr;  // points into Snapshot::config
  std::shared_ptr<const net::TlsContext> tls;
};

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::vector<ListenerRuntime> listeners;  // same order as config->listeners
  std::vector<std::unique_ptr<upstream::BackendPool>> pools;
  std::shared_ptr<const routing::Router> router;
  http::Http1Settings http;
  http::Http2Settings http2;
  upstream::BackendConnection::Timeouts backend_timeouts;
  std::shared_ptr<const pipeline::CachePolicy> cache;  // null without a `cache:` section
  std::vector<std::shared_ptr<const static_files::StaticSite>> static_sites;  // `static:` order

  // The pool called `name`, or nullptr.
  upstream::BackendPool* findPool(std::string_view name) const {
    for (const auto& p : pools)
      if (p->name() == name) return p.get();
    return nullptr;
  }
};

// Resolves backend addresses (blocking), loads certificates and builds the router. Every
// TLS context shares `ticket_keys`, which outlive reloads so resumption survives them.
// `previous` (the running snapshot, on reload) hands its pools' servers and state to the
// pools of the same name (BackendPool::create), and its cache store, so that cached objects
// survive a reload too. `checking` (`gatehouse check`) builds it to see that it builds, and
// leaves the disk as it found it (no folder created, no watcher started).
Result<std::shared_ptr<const Snapshot>> buildSnapshot(std::shared_ptr<const config::Config> config,
                                                      std::shared_ptr<net::TicketKeys> ticket_keys,
                                                      const Snapshot* previous = nullptr,
                                                      bool checking = false);

}  // namespace gatehouse::server
