// GET /metrics: the Prometheus text format, from the workers' counters (summed), the backend
// servers of the configuration in force, the TLS handshake counters and the admin API's own.
#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <tuple>
#include <vector>

#include "admin-api/allocator_metrics.h"
#include "admin-api/cache_metrics.h"
#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/endpoint.h"
#include "admin-api/process_metrics.h"
#include "admin-api/prometheus_text.h"
#include "health/server_state.h"
#include "proxy/base/memory_budget.h"
#include "proxy/http/http2_counters.h"
#include "proxy/http/request_body_counters.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/pipeline/purge_request.h"
#include "proxy/pipeline/request_refusals.h"
#include "proxy/server/certificate_expiry.h"
#include "proxy/server/tls_handshake.h"
#include "proxy/server/traffic_tap.h"
#include "proxy/static_files/static_counters.h"
#include "proxy/upstream/backend_connection.h"
#include "proxy/upstream/forwarded_headers.h"

namespace gatehouse::admin {
namespace {

using server::TrafficCounters;
constexpr size_t kBuckets = std::tuple_size_v<decltype(TrafficCounters::duration_buckets)>;
static_assert(TrafficCounters::kDurationBucketsMs.size() + 1 == kBuckets, "last bucket is +Inf");

// The workers' counters added up. Each worker's atomics are read one by one, so a scrape
// during traffic may be off by the requests of that instant; every counter still only grows.
struct TrafficTotals {
  std::array<uint64_t, 6> responses_by_class{};
  std::vector<std::array<uint64_t, 6>> responses_by_listener;
  uint64_t bytes_sent = 0, bytes_received = 0, connections_accepted = 0;
  std::array<uint64_t, 2> connections_refused{};
  int64_t connections_open = 0;
  int64_t connections_parked = 0;
  std::vector<uint64_t> duration_buckets = std::vector<uint64_t>(kBuckets, 0);  // per bucket
  uint64_t duration_sum_us = 0;
};

TrafficTotals sumTraffic(const server::ProcessControl& control) {
  TrafficTotals t;
  constexpr auto relaxed = std::memory_order_relaxed;
  control.forEachCounters([&](const TrafficCounters& c) {
    for (size_t i = 0; i < t.responses_by_class.size(); ++i)
      t.responses_by_class[i] += c.responses_by_class[i].load(relaxed);
    if (t.responses_by_listener.size() < c.responses_by_listener.size())
      t.responses_by_listener.resize(c.responses_by_listener.size());
    for (size_t l = 0; l < c.responses_by_listener.size(); ++l)
      for (size_t i = 0; i < 6; ++i)
        t.responses_by_listener[l][i] += c.responses_by_listener[l][i].load(relaxed);
    t.bytes_sent += c.bytes_sent.load(relaxed);
    t.bytes_received += c.bytes_received.load(relaxed);
    t.connections_accepted += c.connections_accepted.load(relaxed);
    t.connections_open += c.connections_open.load(relaxed);
    t.connections_parked += c.connections_parked.load(relaxed);
    for (size_t i = 0; i < t.connections_refused.size(); ++i)
      t.connections_refused[i] += c.connections_refused[i].load(relaxed);
    for (size_t i = 0; i < t.duration_buckets.size(); ++i)
      t.duration_buckets[i] += c.duration_buckets[i].load(relaxed);
    t.duration_sum_us += c.duration_sum_us.load(relaxed);
  });
  return t;
}

void addTraffic(PrometheusText& out, const server::ProcessControl& control) {
  const TrafficTotals t = sumTraffic(control);
  static constexpr std::array<std::string_view, 6> kClasses = {"aborted", "1xx", "2xx",
                                                               "3xx",     "4xx", "5xx"};
  // Labelled with the address as configured: the listeners cannot change on reload, so the
  // index still names the same one.
  const auto& listeners = control.snapshot()->config->listeners;
  for (size_t l = 0; l < t.responses_by_listener.size() && l < listeners.size(); ++l) {
    for (size_t i = 0; i < kClasses.size(); ++i)
      out.add(Metric::HttpRequests,
              {{"listener", listeners[l].address.text}, {"class", kClasses[i]}},
              t.responses_by_listener[l][i]);
  }
  const pipeline::RequestRefusals& refused = pipeline::RequestRefusals::process();
  out.add(Metric::HttpRequestsRefused, {{"reason", "dot_segment"}},
          refused.dot_segment.load(std::memory_order_relaxed));
  out.add(Metric::HttpRequestsRefused, {{"reason", "memory"}},
          refused.memory.load(std::memory_order_relaxed));
  out.add(Metric::MemoryBytes, {}, std::max<int64_t>(0, MemoryBudget::used()));
  out.add(Metric::MemoryLimitBytes, {}, MemoryBudget::limit());
  out.add(Metric::MemoryPauses, {}, MemoryBudget::pauses_total.load(std::memory_order_relaxed));
  out.add(Metric::HttpResponseBytes, {}, t.bytes_sent);
  out.add(Metric::HttpRequestBytes, {}, t.bytes_received);
  out.add(Metric::ConnectionsAccepted, {}, t.connections_accepted);
  out.add(Metric::ConnectionsOpen, {}, t.connections_open);
  out.add(Metric::ConnectionsParked, {}, t.connections_parked);
  out.add(Metric::ConnectionsRefused, {{"reason", "max_connections"}}, t.connections_refused[0]);
  out.add(Metric::ConnectionsRefused, {{"reason", "max_connections_per_ip"}},
          t.connections_refused[1]);
  std::vector<double> bounds;
  for (uint64_t ms : TrafficCounters::kDurationBucketsMs)
    bounds.push_back(static_cast<double>(ms) / 1000.0);
  out.addHistogram(Metric::HttpRequestDuration, {}, bounds, t.duration_buckets,
                   static_cast<double>(t.duration_sum_us) / 1e6);
}

void addResponseTimes(PrometheusText& out, std::string_view pool, std::string_view server,
                      const health::ResponseTimes& times) {
  static const std::vector<double> kBounds = [] {
    std::vector<double> b;
    for (uint64_t us : health::ResponseTimes::kBoundsUs)
      b.push_back(static_cast<double>(us) / 1e6);
    return b;
  }();
  std::vector<uint64_t> counts;
  for (const auto& c : times.buckets)
    counts.push_back(c.load(std::memory_order_relaxed));
  out.addHistogram(Metric::BackendResponseTime, {{"pool", pool}, {"server", server}}, kBounds,
                   counts, static_cast<double>(times.sum_us.load(std::memory_order_relaxed)) / 1e6);
}

void addBackends(PrometheusText& out, const server::ProcessControl& control) {
  const auto snapshot = control.snapshot();
  constexpr auto relaxed = std::memory_order_relaxed;
  for (const auto& pool : snapshot->pools) {
    for (const auto& server : pool->servers()) {
      const std::string_view p = pool->name(), s = server->name();
      out.add(Metric::BackendInFlight, {{"pool", p}, {"server", s}}, server->inFlight());
      out.add(Metric::BackendRequests, {{"pool", p}, {"server", s}},
              server->requests_total.load(relaxed));
      out.add(Metric::BackendConnectFailures, {{"pool", p}, {"server", s}},
              server->connect_failures_total.load(relaxed));
      out.add(Metric::BackendConnectionsOpened, {{"pool", p}, {"server", s}},
              server->connections_opened_total.load(relaxed));
      const bool up = server->health() == health::Health::Up;
      out.add(Metric::BackendUp, {{"pool", p}, {"server", s}}, uint64_t{up ? 1u : 0u});
      addResponseTimes(out, p, s, server->response_times);
      out.add(Metric::BackendResponses5xx, {{"pool", p}, {"server", s}},
              server->responses_5xx_total.load(relaxed));
      if (const int8_t passed = server->last_check_passed.load(relaxed); passed >= 0) {
        out.add(Metric::BackendCheckPassed, {{"pool", p}, {"server", s}},
                uint64_t{passed == 1 ? 1u : 0u});
        out.add(Metric::BackendCheckDuration, {{"pool", p}, {"server", s}},
                static_cast<double>(server->last_check_us.load(relaxed)) / 1e6);
      }
      // The enum pattern: one series per state, 1 for the current one, so that a dashboard can
      // count servers per state with sum by (state).
      for (auto state : {health::AdminState::Ready, health::AdminState::Draining,
                         health::AdminState::Maintenance}) {
        const bool current = server->adminState() == state;
        out.add(Metric::BackendState, {{"pool", p}, {"server", s}, {"state", toString(state)}},
                uint64_t{current ? 1u : 0u});
      }
      out.add(Metric::BackendEffectiveWeight, {{"pool", p}, {"server", s}},
              server->effectiveWeight(std::chrono::steady_clock::now()));
      out.add(Metric::BackendHealthTransitions, {{"pool", p}, {"server", s}, {"to", "up"}},
              server->went_up_total.load(relaxed));
      out.add(Metric::BackendHealthTransitions, {{"pool", p}, {"server", s}, {"to", "down"}},
              server->went_down_total.load(relaxed));
      out.add(Metric::BackendChecks, {{"pool", p}, {"server", s}, {"result", "pass"}},
              server->checks_passed_total.load(relaxed));
      out.add(Metric::BackendChecks, {{"pool", p}, {"server", s}, {"result", "fail"}},
              server->checks_failed_total.load(relaxed));
      out.add(Metric::BackendEjections, {{"pool", p}, {"server", s}},
              server->ejections_total.load(relaxed));
      out.add(Metric::BackendPassiveFailures, {{"pool", p}, {"server", s}},
              server->passive_failures_total.load(relaxed));
      out.add(Metric::BackendRetries, {{"pool", p}, {"server", s}},
              server->retries_total.load(relaxed));
    }
    const upstream::PoolState& st = pool->state();
    const std::string_view p = pool->name();
    out.add(Metric::PoolPaused, {{"pool", p}}, uint64_t{pool->paused() ? 1u : 0u});
    out.add(Metric::PoolHolding, {{"pool", p}}, st.holding.load(relaxed));
    out.add(Metric::PoolHoldWaits, {{"pool", p}}, st.hold_waits_total.load(relaxed));
    out.add(Metric::PoolHoldResumed, {{"pool", p}}, st.hold_resumed_total.load(relaxed));
    out.add(Metric::PoolHoldTimeouts, {{"pool", p}}, st.hold_timeouts_total.load(relaxed));
    out.add(Metric::PoolHoldOverflows, {{"pool", p}}, st.hold_overflows_total.load(relaxed));
    out.add(Metric::PoolHoldSkipped, {{"pool", p}}, st.hold_skipped_total.load(relaxed));
    out.add(Metric::PoolUnavailable, {{"pool", p}}, st.unavailable_total.load(relaxed));
  }
}

void addReadOnly(PrometheusText& out, const gate::ReadOnlyState& state) {
  constexpr auto relaxed = std::memory_order_relaxed;
  const gate::ReadOnlyState::View view = state.view();
  out.add(Metric::ReadOnly, {}, uint64_t{view.enabled ? 1u : 0u});
  const int64_t since =
      view.since
          ? std::chrono::duration_cast<std::chrono::seconds>(view.since->time_since_epoch()).count()
          : 0;
  out.add(Metric::ReadOnlySince, {}, since);
  out.add(Metric::ReadOnlyBlocked, {}, state.blocked_total.load(relaxed));
  out.add(Metric::ReadOnlyAllowed, {}, state.allowed_total.load(relaxed));
  out.add(Metric::ReadOnlyAnonymized, {}, state.anonymized_total.load(relaxed));
  out.add(Metric::ReadOnlySetCookieDropped, {}, state.set_cookie_dropped_total.load(relaxed));
}

// The cluster sync's series, only with `cluster:`.
void addCluster(PrometheusText& out, const cluster::ClusterSync& sync) {
  const cluster::ClusterCounters& c = sync.counters();
  out.add(Metric::ClusterConnected, {}, uint64_t{sync.connected() ? 1u : 0u});
  out.add(Metric::ClusterConnects, {{"result", "ok"}}, c.connects);
  out.add(Metric::ClusterConnects, {{"result", "failed"}}, c.connect_failures);
  out.add(Metric::ClusterConnects, {{"result", "tls_failed"}}, c.tls_failures);
  out.add(Metric::ClusterDisconnects, {}, c.disconnects);
  out.add(Metric::ClusterChanges, {{"direction", "sent"}}, c.published);
  out.add(Metric::ClusterChanges, {{"direction", "local_only"}}, c.local_only);
  out.add(Metric::ClusterChanges, {{"direction", "applied"}}, c.applied);
  out.add(Metric::ClusterConflicts, {}, c.conflicts);
  out.add(Metric::ClusterPurges, {{"direction", "sent"}}, c.purges_published);
  out.add(Metric::ClusterPurges, {{"direction", "local_only"}}, c.purges_local_only);
  out.add(Metric::ClusterPurges, {{"direction", "applied"}}, c.purges_applied);
  out.add(Metric::ClusterInvalid, {}, c.invalid);
  out.add(Metric::ClusterInstances, {}, uint64_t{sync.instances().size()});
  out.add(Metric::ClusterConfigMismatch, {}, uint64_t{sync.configMismatches()});
}

}  // namespace

std::string renderMetrics(const server::ProcessControl& control, const AdminCounters& counters,
                          const gate::ReadOnlyState& read_only,
                          const cluster::ClusterSync* cluster) {
  PrometheusText out;
  addTraffic(out, control);
  addBackends(out, control);
  addCacheMetrics(out, control);
  addReadOnly(out, read_only);
  if (cluster) addCluster(out, *cluster);
  constexpr auto relaxed = std::memory_order_relaxed;
  const http::Http2Counters& h2 = http::Http2Counters::process();
  const http::RequestBodyCounters& bodies = http::RequestBodyCounters::process();
  out.add(Metric::HttpBodyTimeouts, {{"protocol", "http1"}},
          bodies.body_timeouts_http1.load(relaxed));
  out.add(Metric::HttpBodyTimeouts, {{"protocol", "http2"}},
          bodies.body_timeouts_http2.load(relaxed));
  out.add(Metric::HttpBodyDiscardCloses, {{"protocol", "http1"}},
          bodies.discard_closes.load(relaxed));
  out.add(Metric::HttpBodyDiscardCloses, {{"protocol", "http2"}},
          bodies.discard_resets_http2.load(relaxed));
  out.add(Metric::HttpTrailersDropped, {}, bodies.trailer_fields_dropped.load(relaxed));
  out.add(Metric::HttpResponseTrailersDropped, {},
          bodies.response_trailer_fields_dropped.load(relaxed));
  out.add(Metric::Http2Sessions, {}, h2.sessions.load(relaxed));
  out.add(Metric::Http2Streams, {}, h2.streams.load(relaxed));
  out.add(Metric::Http2ClientResets, {}, h2.client_resets.load(relaxed));
  out.add(Metric::Http2CalmGoaways, {}, h2.calm_goaways.load(relaxed));
  out.add(Metric::Http2SessionErrors, {}, h2.session_errors.load(relaxed));
  out.add(Metric::Http2HeaderTimeouts, {}, h2.header_timeouts.load(relaxed));
  out.add(Metric::Http2Parks, {}, h2.parks.load(relaxed));
  out.add(Metric::Http2ResponseBufferFull, {}, h2.response_buffer_full.load(relaxed));
  out.add(Metric::Http2SendTimeouts, {}, h2.send_timeouts.load(relaxed));
  for (size_t i = 0; i < http::kHttp2LimitLabels.size(); ++i)
    out.add(Metric::Http2LimitsExceeded, {{"limit", http::kHttp2LimitLabels[i]}},
            h2.limits_exceeded[i].load(relaxed));
  for (size_t code = 0; code < http::kHttp2ErrorNames.size(); ++code)
    out.add(Metric::Http2Goaways, {{"code", http::kHttp2ErrorNames[code]}},
            h2.goaways_sent[code].load(relaxed));
  out.add(Metric::ClientSendTimeouts, {}, net::TcpConnection::send_timeouts_total.load(relaxed));
  out.add(Metric::BackendPausedTimeouts, {},
          upstream::BackendConnection::paused_timeouts_total.load(relaxed));
  out.add(Metric::BackendIdleTimeouts, {},
          upstream::BackendConnection::idle_timeouts_total.load(relaxed));
  out.add(Metric::TunnelIdleTimeouts, {},
          upstream::BackendConnection::tunnel_idle_timeouts_total.load(relaxed));
  out.add(Metric::TlsHandshakes, {}, server::TlsHandshake::handshakes_total.load(relaxed));
  out.add(Metric::TlsHandshakeFailures, {},
          server::TlsHandshake::handshake_failures_total.load(relaxed));
  out.add(Metric::TlsResumed, {}, server::TlsHandshake::resumed_total.load(relaxed));
  for (const server::CertificateStatus& cert : server::certificateStatuses(*control.snapshot())) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(cert.not_after.time_since_epoch());
    out.add(Metric::TlsCertificateNotAfter, {{"listener", cert.listener}, {"cert", cert.cert}},
            static_cast<int64_t>(seconds.count()));
  }
  const upstream::ForwardCounters& forward = upstream::ForwardCounters::process();
  for (size_t i = 0; i < config::kClientControlledFields.size(); ++i)
    out.add(Metric::ForwardFieldsStripped,
            {{"field", std::string(config::kClientControlledFields[i].name)}},
            forward.stripped[i].load(relaxed));
  const pipeline::PurgeCounters& purges = pipeline::PurgeCounters::process();
  out.add(Metric::CachePurgeRequests, {{"result", "purged"}}, purges.purged.load(relaxed));
  out.add(Metric::CachePurgeRequests, {{"result", "nothing"}}, purges.nothing.load(relaxed));
  out.add(Metric::CachePurgeRequests, {{"result", "refused"}}, purges.refused.load(relaxed));
  const server::TrafficTap& tap = server::TrafficTap::process();
  out.add(Metric::TailListeners, {}, int64_t{tap.listenersNow()});
  out.add(Metric::TailDropped, {{"reason", "tap_full"}}, tap.dropped_total.load(relaxed));
  out.add(Metric::TailDropped, {{"reason", "slow_reader"}},
          tap.slow_reader_dropped_total.load(relaxed));
  out.add(Metric::ForwardUpgradesRefused, {}, forward.upgrades_refused.load(relaxed));
  for (size_t i = 0; i < static_files::kDecisionCount; ++i)
    out.add(Metric::StaticDecisions, {{"decision", static_files::kDecisionTable[i].label}},
            static_files::countOf(static_cast<static_files::Decision>(i)));
  for (size_t i = 0; i < static_files::kBodyPathCount; ++i)
    out.add(Metric::StaticBodies, {{"path", static_files::kBodyPathTable[i].label}},
            static_files::countOf(static_cast<static_files::BodyPath>(i)));
  out.add(Metric::AdminRequests, {}, counters.requests);
  out.add(Metric::AdminUnauthorized, {}, counters.unauthorized);
  out.add(Metric::AdminConnectionsRefused, {}, counters.connections_refused);
  out.add(Metric::AdminConnectionsEvicted, {}, counters.connections_evicted);
  const server::ProcessStatus status = control.status();
  out.add(Metric::BuildInfo, {{"version", status.version}}, uint64_t{1});
  const std::chrono::duration<double> uptime = std::chrono::system_clock::now() - status.started;
  out.add(Metric::Uptime, {}, uptime.count());
  addProcessMetrics(out, status.started);
  addAllocatorMetrics(out);
  return out.render();
}

AdminResponse metricsEndpoint(const AdminRequest&, AdminContext& context) {
  AdminResponse response;
  response.content_type = kPrometheusContentType;
  response.body =
      renderMetrics(context.control, context.counters, context.read_only, context.cluster);
  return response;
}

}  // namespace gatehouse::admin
