#pragma once
// Every metric /metrics serves, declared once with its type and help text (STYLE.md habit 6,
// Envoy's ALL_X_STATS): the renderer writes # HELP and # TYPE from this table, and a sample
// can only be added for a metric named here. Add a metric by adding a line.

#include <array>
#include <cstddef>
#include <string_view>

namespace gatehouse::admin {

enum class MetricType { Counter, Gauge, Histogram };

// X(id, type, name, help)
#define GATEHOUSE_ADMIN_METRICS(X)                                                                \
  X(HttpRequests, Counter, "gatehouse_http_requests_total",                                       \
    "Requests answered, by listener (its configured address) and status class; "                  \
    "class=\"aborted\" when the exchange ended before a status was sent")                         \
  X(HttpResponseBytes, Counter, "gatehouse_http_response_bytes_total",                            \
    "Response body bytes sent to clients")                                                        \
  X(HttpRequestBytes, Counter, "gatehouse_http_request_bytes_total",                              \
    "Request body bytes received from clients")                                                   \
  X(HttpRequestDuration, Histogram, "gatehouse_http_request_duration_seconds",                    \
    "Time from a request's head to the end of its exchange")                                      \
  X(HttpBodyTimeouts, Counter, "gatehouse_http_request_body_timeouts_total",                      \
    "Request bodies cut (408, or a reset once answered) for not starting within "                 \
    "timeouts.client_body or falling below limits.min_body_rate, by protocol")                    \
  X(HttpBodyDiscardCloses, Counter, "gatehouse_http_body_discard_closes_total",                   \
    "Connections closed (HTTP/1) or streams reset (HTTP/2) after an early answer, because the "   \
    "rest of the request body was over the discard budget (1 MiB), malformed or too slow")        \
  X(HttpTrailersDropped, Counter, "gatehouse_http_request_trailers_dropped_total",                \
    "Request trailer fields dropped before the backend as not allowed in trailers (RFC 9110 "     \
    "6.5.1: framing, routing, authentication, modifiers, content-*)")                             \
  X(HttpResponseTrailersDropped, Counter, "gatehouse_http_response_trailers_dropped_total",       \
    "Response trailer fields of backends dropped before the client as not allowed in trailers "   \
    "(RFC 9110 6.5.1)")                                                                           \
  X(HttpRequestsRefused, Counter, "gatehouse_http_requests_refused_total",                        \
    "Requests answered before routing, by reason: dot_segment (400, a \".\" or \"..\" path "      \
    "segment, maybe encoded), memory (503, limits.memory in use)")                                \
  X(MemoryBytes, Gauge, "gatehouse_memory_bytes",                                                 \
    "Bytes connection buffers and in-flight bodies hold now (the cache's objects not counted)")   \
  X(MemoryLimitBytes, Gauge, "gatehouse_memory_limit_bytes", "limits.memory")                     \
  X(MemoryPauses, Counter, "gatehouse_memory_pauses_total",                                       \
    "Times reading a response from a backend or a request body paused above limits.memory")       \
  X(ConnectionsAccepted, Counter, "gatehouse_connections_accepted_total",                         \
    "Client connections accepted")                                                                \
  X(ConnectionsOpen, Gauge, "gatehouse_connections_open", "Client connections open now")          \
  X(ConnectionsParked, Gauge, "gatehouse_connections_parked",                                     \
    "Of the open client connections, idle HTTP/1 ones parked (timeouts.client_park)")             \
  X(ConnectionsRefused, Counter, "gatehouse_connections_refused_total",                           \
    "Client connections closed at accept, by the limit reached: max_connections, "                \
    "max_connections_per_ip")                                                                     \
  X(BackendInFlight, Gauge, "gatehouse_backend_in_flight",                                        \
    "Requests being served by a backend server now")                                              \
  X(BackendRequests, Counter, "gatehouse_backend_requests_total",                                 \
    "Requests sent to a backend server")                                                          \
  X(BackendConnectFailures, Counter, "gatehouse_backend_connect_failures_total",                  \
    "Connections to a backend server that failed or timed out")                                   \
  X(BackendConnectionsOpened, Counter, "gatehouse_backend_connections_opened_total",              \
    "Connections opened to a backend server")                                                     \
  X(BackendUp, Gauge, "gatehouse_backend_up", "1 when checks see the backend server up")          \
  X(BackendResponseTime, Histogram, "gatehouse_backend_response_time_seconds",                    \
    "Time from a request head sent to a backend server to its response head")                     \
  X(BackendResponses5xx, Counter, "gatehouse_backend_responses_5xx_total",                        \
    "Response heads with a 5xx status from a backend server")                                     \
  X(BackendCheckPassed, Gauge, "gatehouse_backend_check_passed",                                  \
    "1 when a backend server's last active health check passed, 0 when it failed")                \
  X(BackendCheckDuration, Gauge, "gatehouse_backend_check_duration_seconds",                      \
    "How long a backend server's last active health check took")                                  \
  X(BackendState, Gauge, "gatehouse_backend_state",                                               \
    "The operator's state of a backend server: 1 for the current state (ready, drain, maint)")    \
  X(CacheRequests, Counter, "gatehouse_cache_requests_total",                                     \
    "Requests on cached routes by outcome: hit, miss, pass, stale_while_revalidate, "             \
    "stale_if_error")                                                                             \
  X(CacheRequestBodyPasses, Counter, "gatehouse_cache_request_body_passes_total",                 \
    "GET/HEAD requests with a body, passed: never answered from the cache nor stored")            \
  X(CacheCoalesced, Counter, "gatehouse_cache_coalesced_total",                                   \
    "Requests that waited for another request's fill of the same URL")                            \
  X(CacheCoalesceTimeouts, Counter, "gatehouse_cache_coalesce_timeouts_total",                    \
    "Waits for a fill that ran out of cache.coalesce_timeout")                                    \
  X(CacheCoalescedStreams, Counter, "gatehouse_cache_coalesced_streams_total",                    \
    "Coalesced requests served from the fill's body as it arrived; result=\"truncated\" "         \
    "when the fill failed mid-body and the response was cut (closed, never complete)")            \
  X(CacheOrphanFills, Counter, "gatehouse_cache_orphan_fills_total",                              \
    "Fills whose client left mid-body and that went on without it, for the followers and "        \
    "the store")                                                                                  \
  X(CacheRevalidations, Counter, "gatehouse_cache_revalidations_total",                           \
    "Conditional requests sent to refresh a stale object; result=\"not_modified\" for 304s")      \
  X(CacheHeadFreshenings, Counter, "gatehouse_cache_head_freshenings_total",                      \
    "HEAD answers that updated a stale stored response (RFC 9111 4.3.5); "                        \
    "result=\"invalidated\" when a validator or the length differed and it was dropped")          \
  X(CacheRefreshFailures, Counter, "gatehouse_cache_refresh_failures_total",                      \
    "Background refreshes the origin failed (the stale object stays in service)")                 \
  X(CacheStored, Counter, "gatehouse_cache_stored_total", "Responses stored")                     \
  X(CacheNotStored, Counter, "gatehouse_cache_not_stored_total",                                  \
    "Responses not storable (private, no-store, Set-Cookie, too large...)")                       \
  X(CacheTooLarge, Counter, "gatehouse_cache_too_large_total",                                    \
    "Responses over cache.max_object, passed through")                                            \
  X(CacheVariantLimit, Counter, "gatehouse_cache_variant_limit_total",                            \
    "Responses not stored: their URL already had cache.max_variants variants")                    \
  X(CacheEvicted, Counter, "gatehouse_cache_evicted_total",                                       \
    "Objects evicted to stay within cache.memory")                                                \
  X(CacheExpired, Counter, "gatehouse_cache_expired_total",                                       \
    "Objects dropped past freshness and grace")                                                   \
  X(CachePurges, Counter, "gatehouse_cache_purges_total",                                         \
    "Purge and ban operations of the admin API")                                                  \
  X(CachePurgeRequests, Counter, "gatehouse_cache_purge_requests_total",                          \
    "PURGE and BAN requests on the public listeners, by result: purged (something matched), "     \
    "nothing (nothing matched), refused (403: not from cache.purge_from, no admin token)")        \
  X(CachePurgedObjects, Counter, "gatehouse_cache_purged_objects_total",                          \
    "Objects removed by invalidations of any cause")                                              \
  X(CacheInvalidations, Counter, "gatehouse_cache_invalidations_total",                           \
    "Invalidations by cause: purge, ban (admin API), unsafe_session, unsafe_anonymous (a "        \
    "successful POST, PUT, PATCH, DELETE... with a session or without), read_only_off")           \
  X(CacheInvalidationsSkipped, Counter, "gatehouse_cache_invalidations_skipped_total",            \
    "Successful unsafe requests that invalidated nothing, as their route's "                      \
    "invalidate_on_unsafe says")                                                                  \
  X(CacheBytes, Gauge, "gatehouse_cache_bytes", "Bytes the stored objects take, all counted")     \
  X(CacheCapacityBytes, Gauge, "gatehouse_cache_capacity_bytes", "cache.memory")                  \
  X(CacheObjects, Gauge, "gatehouse_cache_objects", "Objects stored")                             \
  X(BackendEffectiveWeight, Gauge, "gatehouse_backend_effective_weight",                          \
    "A backend server's weight now, slow-start ramp included")                                    \
  X(BackendHealthTransitions, Counter, "gatehouse_backend_health_transitions_total",              \
    "Health changes of a backend server, by the state entered (to=up|down)")                      \
  X(BackendChecks, Counter, "gatehouse_backend_checks_total",                                     \
    "Active health checks of a backend server, by result (pass|fail)")                            \
  X(BackendEjections, Counter, "gatehouse_backend_ejections_total",                               \
    "Times passive checks (failures on live traffic) took a backend server down")                 \
  X(BackendPassiveFailures, Counter, "gatehouse_backend_passive_failures_total",                  \
    "Live requests that counted against a backend server (connect, timeout, 5xx as configured)")  \
  X(BackendRetries, Counter, "gatehouse_backend_retries_total",                                   \
    "Requests moved from a backend server to another after a failed connect")                     \
  X(PoolPaused, Gauge, "gatehouse_backend_pool_paused", "1 while a pool is paused")               \
  X(PoolHolding, Gauge, "gatehouse_backend_pool_holding",                                         \
    "Requests waiting now for a server of the pool (hold)")                                       \
  X(PoolHoldWaits, Counter, "gatehouse_backend_hold_waits_total",                                 \
    "Requests that waited for a server of the pool (hold)")                                       \
  X(PoolHoldResumed, Counter, "gatehouse_backend_hold_resumed_total",                             \
    "Held requests that got a server before their hold ran out")                                  \
  X(PoolHoldTimeouts, Counter, "gatehouse_backend_hold_timeouts_total",                           \
    "Held requests whose hold ran out without a server")                                          \
  X(PoolHoldOverflows, Counter, "gatehouse_backend_hold_overflows_total",                         \
    "Requests refused at once because hold_max requests were already waiting")                    \
  X(PoolHoldSkipped, Counter, "gatehouse_backend_hold_skipped_total",                             \
    "Requests answered at once instead of held: every server of the pool was down (not paused, "  \
    "none draining)")                                                                             \
  X(PoolUnavailable, Counter, "gatehouse_backend_unavailable_total",                              \
    "Requests answered 503 (or by the fallback) because no server of the pool was available")     \
  X(Http2Sessions, Counter, "gatehouse_http2_sessions_total",                                     \
    "Client connections speaking HTTP/2")                                                         \
  X(Http2Streams, Counter, "gatehouse_http2_streams_total", "HTTP/2 streams opened by clients")   \
  X(Http2ClientResets, Counter, "gatehouse_http2_client_resets_total",                            \
    "RST_STREAM frames received from clients")                                                    \
  X(Http2CalmGoaways, Counter, "gatehouse_http2_calm_goaways_total",                              \
    "Connections closed with GOAWAY ENHANCE_YOUR_CALM (rapid reset, frame floods)")               \
  X(Http2SessionErrors, Counter, "gatehouse_http2_session_errors_total",                          \
    "HTTP/2 connections ended by a protocol error from the client")                               \
  X(Http2Parks, Counter, "gatehouse_http2_parks_total",                                           \
    "HTTP/2 connections idle for timeouts.client_park that gave back their frame buffer's pages") \
  X(Http2ResponseBufferFull, Counter, "gatehouse_http2_response_buffer_full_total",               \
    "Times an HTTP/2 connection's streams all waited: their responses held "                      \
    "http2.response_buffer for a client that was not reading")                                    \
  X(Http2HeaderTimeouts, Counter, "gatehouse_http2_header_timeouts_total",                        \
    "HTTP/2 connections ended because a header block stayed unfinished for "                      \
    "timeouts.client_header")                                                                     \
  X(Http2SendTimeouts, Counter, "gatehouse_http2_stream_send_timeouts_total",                     \
    "HTTP/2 streams reset because the client's window held the response back for "                \
    "timeouts.client_send")                                                                       \
  X(Http2LimitsExceeded, Counter, "gatehouse_http2_limits_exceeded_total",                        \
    "HTTP/2 budgets a client went over, by limit (the http2.* keys); all but header_list end "    \
    "the connection with GOAWAY ENHANCE_YOUR_CALM")                                               \
  X(Http2Goaways, Counter, "gatehouse_http2_goaways_sent_total",                                  \
    "GOAWAY frames sent to clients, by error code")                                               \
  X(ClientSendTimeouts, Counter, "gatehouse_client_send_timeouts_total",                          \
    "Client connections closed because their output made no progress for "                        \
    "timeouts.client_send (the client stopped reading)")                                          \
  X(BackendPausedTimeouts, Counter, "gatehouse_backend_paused_timeouts_total",                    \
    "Backend responses given up after backend_response paused for a client that did not "         \
    "take them")                                                                                  \
  X(BackendIdleTimeouts, Counter, "gatehouse_backend_idle_timeouts_total",                        \
    "Idle keep-alive connections to backends closed after timeouts.backend_idle")                 \
  X(TunnelIdleTimeouts, Counter, "gatehouse_tunnel_idle_timeouts_total",                          \
    "Tunnels (WebSocket) closed after timeouts.tunnel_idle without a byte either way")            \
  X(TlsHandshakes, Counter, "gatehouse_tls_handshakes_total", "TLS handshakes completed")         \
  X(TlsHandshakeFailures, Counter, "gatehouse_tls_handshake_failures_total",                      \
    "TLS handshakes that failed or timed out")                                                    \
  X(TlsResumed, Counter, "gatehouse_tls_resumed_total", "TLS handshakes that resumed a session")  \
  X(TlsCertificateNotAfter, Gauge, "gatehouse_tls_certificate_not_after_seconds",                 \
    "End of validity of each listener certificate (Unix time)")                                   \
  X(AdminRequests, Counter, "gatehouse_admin_requests_total", "Requests to the admin API")        \
  X(AdminUnauthorized, Counter, "gatehouse_admin_unauthorized_total",                             \
    "Admin API requests refused for a missing or wrong token")                                    \
  X(AdminConnectionsRefused, Counter, "gatehouse_admin_connections_refused_total",                \
    "Admin connections refused because admin.max_connections were open")                          \
  X(AdminConnectionsEvicted, Counter, "gatehouse_admin_connections_evicted_total",                \
    "Admin connections without a valid token closed to keep admin.max_unauthenticated")           \
  X(ForwardFieldsStripped, Counter, "gatehouse_forward_fields_stripped_total",                    \
    "Client request fields stripped before the backend (forward.allow_headers lets them pass)")   \
  X(ForwardUpgradesRefused, Counter, "gatehouse_forward_upgrades_refused_total",                  \
    "Upgrade requests forwarded as ordinary ones: no protocol in forward.upgrade_tokens")         \
  X(StaticDecisions, Counter, "gatehouse_static_decisions_total",                                 \
    "Static file decisions; the labels are in proxy/static_files/static_counters.h")              \
  X(StaticBodies, Counter, "gatehouse_static_bodies_total",                                       \
    "Static responses with a body by how it went out (sendfile, ktls_sendfile, userspace, "       \
    "memory)")                                                                                    \
  X(ReadOnly, Gauge, "gatehouse_read_only", "1 while read-only mode is on")                       \
  X(ReadOnlySince, Gauge, "gatehouse_read_only_since_timestamp_seconds",                          \
    "Unix time read-only mode last switched on or off; 0 when it has not since the start")        \
  X(ReadOnlyBlocked, Counter, "gatehouse_read_only_blocked_total",                                \
    "Unsafe requests answered 503 because read-only mode was on")                                 \
  X(ReadOnlyAllowed, Counter, "gatehouse_read_only_allowed_total",                                \
    "Unsafe requests let through by read_only.allow while read-only mode was on")                 \
  X(ReadOnlyAnonymized, Counter, "gatehouse_read_only_anonymized_total",                          \
    "Requests whose Cookie or Authorization was dropped because read-only mode was on")           \
  X(ReadOnlySetCookieDropped, Counter, "gatehouse_read_only_set_cookie_dropped_total",            \
    "Backend responses whose Set-Cookie was dropped because read-only mode was on")               \
  X(TailListeners, Gauge, "gatehouse_tail_listeners", "Admin clients streaming GET /tail now")    \
  X(TailDropped, Counter, "gatehouse_tail_dropped_total",                                         \
    "Access entries a tail missed, by reason: tap_full (a worker got 8192 entries "               \
    "ahead of the main loop), slow_reader (the client read slower than its entries came)")        \
  X(ClusterConnected, Gauge, "gatehouse_cluster_connected",                                       \
    "1 while the cluster sync (cluster:) is connected to Redis and subscribed")                   \
  X(ClusterConnects, Counter, "gatehouse_cluster_connects_total",                                 \
    "Connections to Redis by result: ok (connected, state loaded), failed (refused, timed out, "  \
    "AUTH), tls_failed (rediss://: TLS handshake or certificate refused)")                        \
  X(ClusterDisconnects, Counter, "gatehouse_cluster_disconnects_total",                           \
    "Established connections to Redis lost")                                                      \
  X(ClusterChanges, Counter, "gatehouse_cluster_changes_total",                                   \
    "Shared state changes (read-only, server states, pool pauses) by direction: sent (made "      \
    "here, written to Redis), local_only (made here while Redis was away), applied (another "     \
    "instance's, applied here)")                                                                  \
  X(ClusterConflicts, Counter, "gatehouse_cluster_conflicts_total",                               \
    "Changes made here that lost to a newer version in Redis (last writer wins)")                 \
  X(ClusterPurges, Counter, "gatehouse_cluster_purges_total",                                     \
    "Cache purges and bans shared, by direction: sent, local_only, applied")                      \
  X(ClusterInvalid, Counter, "gatehouse_cluster_invalid_total",                                   \
    "Records, messages or commands the cluster sync could not read or apply")                     \
  X(ClusterInstances, Gauge, "gatehouse_cluster_instances",                                       \
    "Live instances of the site (heartbeats younger than cluster.instance_ttl), this one "        \
    "included")                                                                                   \
  X(ClusterConfigMismatch, Gauge, "gatehouse_cluster_config_mismatch_instances",                  \
    "Live instances whose config digest differs from this instance's")                            \
  X(BuildInfo, Gauge, "gatehouse_build_info", "Always 1; the version is in the label")            \
  X(Uptime, Gauge, "gatehouse_uptime_seconds", "Seconds since the process started")               \
  X(AllocatorBytes, Gauge, "gatehouse_allocator_bytes",                                           \
    "jemalloc's account of the heap by kind: allocated, active, resident (freed pages not yet "   \
    "purged included), metadata, retained (given back, still mapped)")                            \
  X(ProcessCpu, Counter, "process_cpu_seconds_total", "User and system CPU time spent")           \
  X(ProcessRss, Gauge, "process_resident_memory_bytes", "Resident memory size")                   \
  X(ProcessVirtual, Gauge, "process_virtual_memory_bytes", "Virtual memory size")                 \
  X(ProcessOpenFds, Gauge, "process_open_fds", "Open file descriptors")                           \
  X(ProcessMaxFds, Gauge, "process_max_fds", "The soft limit of open file descriptors")           \
  X(ProcessStart, Gauge, "process_start_time_seconds", "Start time of the process, Unix time")

enum class Metric : size_t {
#define GATEHOUSE_METRIC_ID(id, type, name, help) id,
  GATEHOUSE_ADMIN_METRICS(GATEHOUSE_METRIC_ID)
#undef GATEHOUSE_METRIC_ID
};

struct MetricInfo {
  std::string_view name;
  MetricType type;
  std::string_view help;
};

inline constexpr MetricInfo kMetricTable[] = {
#define GATEHOUSE_METRIC_INFO(id, type, name, help) {name, MetricType::type, help},
    GATEHOUSE_ADMIN_METRICS(GATEHOUSE_METRIC_INFO)
#undef GATEHOUSE_METRIC_INFO
};

inline constexpr size_t kMetricCount = std::size(kMetricTable);

inline const MetricInfo& info(Metric metric) {
  return kMetricTable[static_cast<size_t>(metric)];
}

}  // namespace gatehouse::admin
