#include "proxy/server/snapshot.h"

#include <fmt/format.h>

namespace gatehouse::server {

namespace {
net::TlsSettings toTlsSettings(const config::TlsConfig& tls) {
  net::TlsSettings out;
  for (const config::TlsCertificateConfig& c : tls.certificates)
    out.certificates.push_back({c.cert, c.key, c.ocsp});
  out.min_version = tls.min_version;
  out.ciphers = tls.ciphers;
  out.ciphersuites = tls.ciphersuites;
  out.alpn = tls.alpn;
  out.session_tickets = tls.session_tickets;
  out.session_cache = tls.session_cache;
  return out;
}
}  // namespace

Result<std::shared_ptr<const Snapshot>> buildSnapshot(std::shared_ptr<const config::Config> config,
                                                      std::shared_ptr<net::TicketKeys> ticket_keys,
                                                      const Snapshot* previous, bool checking) {
  auto snapshot = std::make_shared<Snapshot>();
  for (const config::ListenerConfig& lc : config->listeners) {
    ListenerRuntime runtime{&lc, nullptr};
    if (lc.tls) {
      for (const config::TlsCertificateConfig& c : lc.tls->certificates) {
        // Checked one by one so that the error points at the config line of the culprit.
        auto ok = net::TlsContext::checkCertificate({c.cert, c.key, c.ocsp});
        if (!ok) {
          const bool key_fault = ok.error().message.starts_with("cannot load key") ||
                                 ok.error().message.starts_with("key ");
          return Error{
              fmt::format("{}: {}", key_fault ? c.key_origin : c.cert_origin, ok.error().message)};
        }
      }
      auto tls = net::TlsContext::create(toTlsSettings(*lc.tls), ticket_keys);
      if (!tls) return Error{fmt::format("listeners {}: {}", lc.address.text, tls.error().message)};
      runtime.tls = std::move(*tls);
    }
    snapshot->listeners.push_back(std::move(runtime));
  }
  auto forward = std::make_shared<const upstream::ForwardPolicy>(config->forward);
  for (const config::BackendConfig& backend : config->backends) {
    auto pool = upstream::BackendPool::create(
        backend, previous ? previous->findPool(backend.name) : nullptr, forward);
    if (!pool) {
      // A resolution error already starts with FILE:LINE:COL.
      const bool located = pool.error().message.starts_with(config->source + ":");
      return located ? pool.error()
                     : Error{fmt::format("{}: {}", config->source, pool.error().message)};
    }
    snapshot->pools.push_back(std::move(*pool));
  }
  std::vector<routing::Route> routes;
  for (const config::RouteConfig& rc : config->routes) {
    routing::Route route;
    route.host = rc.host;
    route.path_prefix = rc.path_prefix;
    route.cache = rc.cache;
    route.cache_ttl = rc.cache_ttl;
    route.cache_ttl_statuses = rc.cache_ttl_statuses;
    route.strip_set_cookie = rc.strip_set_cookie;
    route.invalidate_on_unsafe = rc.invalidate_on_unsafe;
    for (auto& pool : snapshot->pools)
      if (pool->name() == rc.backend) route.pool = pool.get();
    if (!route.pool) return Error{fmt::format("routes: unknown backend {}", rc.backend)};
    routes.push_back(std::move(route));
  }
  snapshot->router = std::make_shared<routing::Router>(std::move(routes));
  if (config->cache) {
    // One store for the life of the process: a reload resizes it and keeps what it holds.
    std::shared_ptr<cache::CacheStore> store =
        previous && previous->cache ? previous->cache->store : nullptr;
    const config::CacheConfig& cc = *config->cache;
    if (store)
      store->setLimits(cc.memory.bytes(), cc.max_object.bytes(), cc.max_variants);
    else
      store = std::make_shared<cache::CacheStore>(cc.memory.bytes(), cc.max_object.bytes(),
                                                  cc.max_variants);
    auto policy = std::make_shared<pipeline::CachePolicy>();
    // One watch per store: what read-only kept past the origin's freshness ends with the mode.
    policy->read_only_watch = previous && previous->cache
                                  ? previous->cache->read_only_watch
                                  : pipeline::watchReadOnly(gate::ReadOnlyState::process(), store);
    policy->store = std::move(store);
    policy->config = cc;
    if (config->admin) policy->purge_token = config->admin->token;
    snapshot->cache = std::move(policy);
  }
  for (const config::StaticConfig& sc : config->statics) {
    auto site =
        static_files::StaticSite::create(sc, checking ? static_files::StaticSite::Purpose::Checking
                                                      : static_files::StaticSite::Purpose::Serving);
    if (!site) return Error{fmt::format("{}: {}", config->source, site.error().message)};
    snapshot->static_sites.push_back(std::move(*site));
  }
  const config::Limits& limits = config->limits;
  snapshot->http.limits.request_line = limits.request_line.bytes();
  snapshot->http.limits.headers = limits.headers.bytes();
  snapshot->http.limits.header_count = limits.header_count;
  snapshot->http.max_body = limits.body.bytes();
  snapshot->http.client_header = config->timeouts.client_header;
  snapshot->http.client_idle = config->timeouts.client_idle;
  snapshot->http.client_park = config->timeouts.client_park;
  const http::BodyRateLimit body_rate{config->timeouts.client_body, limits.min_body_rate.bytes()};
  snapshot->http.body_rate = body_rate;
  const config::Http2Config& h2 = config->http2;
  http::Http2Settings& h2s = snapshot->http2;
  h2s.max_concurrent_streams = h2.max_concurrent_streams;
  h2s.max_header_list_size = static_cast<uint32_t>(h2.max_header_list.bytes());
  h2s.header_table_size = static_cast<uint32_t>(h2.header_table_size.bytes());
  h2s.max_continuations = h2.max_continuations;
  h2s.initial_window_size = static_cast<uint32_t>(h2.stream_window.bytes());
  h2s.connection_window_size = static_cast<uint32_t>(h2.connection_window.bytes());
  h2s.response_buffer = static_cast<size_t>(h2.response_buffer.bytes());
  h2s.max_body = limits.body.bytes();
  h2s.body_rate = body_rate;
  h2s.idle_timeout = config->timeouts.client_idle;
  h2s.park = config->timeouts.client_park;
  h2s.header_timeout = config->timeouts.client_header;
  h2s.send_timeout = config->timeouts.client_send;
  h2s.budgets.max_resets = h2.max_resets;
  h2s.budgets.max_settings = h2.max_settings;
  h2s.budgets.max_pings = h2.max_pings;
  h2s.budgets.max_empty_frames = h2.max_empty_frames;
  h2s.budgets.max_window_updates = h2.max_window_updates;
  snapshot->backend_timeouts.connect = config->timeouts.backend_connect;
  snapshot->backend_timeouts.response = config->timeouts.backend_response;
  snapshot->backend_timeouts.idle = config->timeouts.backend_idle;
  snapshot->backend_timeouts.tunnel_idle = config->timeouts.tunnel_idle;
  snapshot->config = std::move(config);
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

}  // namespace gatehouse::server
