#pragma once
// The validated configuration: plain immutable structs, one per section of gatehouse.yaml.
// Nothing here knows YAML; a module gets its section's struct and never sees the file.
// The loader hands out `shared_ptr<const Config>` because a running server swaps whole snapshots
// on reload while in-flight exchanges keep the one they started with.
//
// Defaults below are the ones INTERFACE.md documents; the loader starts from a default-constructed
// struct and overwrites only the keys the file sets.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/cidr.h"
#include "proxy/base/byte_size.h"
#include "proxy/base/duration.h"
#include "proxy/base/log.h"

namespace gatehouse::config {

// Where to listen or connect. Nothing is resolved at load time: `host` is a name or a literal.
struct Address {
  std::string host;  // "0.0.0.0", "::1" (brackets removed), "localhost"
  uint16_t port = 0;
  std::string text;  // as written, for logs and messages: "[::1]:80"

  friend bool operator==(const Address&, const Address&) = default;
};

struct TlsCertificateConfig {
  std::string cert;  // PEM chain, leaf first
  std::string key;   // PEM private key (RSA or ECDSA)
  std::string ocsp;  // optional: a DER OCSP response to staple
  // "FILE:LINE:COL: listeners[1].tls.certificates[0].cert" of each path, so that errors only
  // found when the files are parsed (bad PEM, key mismatch) still point at the config line.
  std::string cert_origin;
  std::string key_origin;
};

struct TlsConfig {
  std::vector<TlsCertificateConfig> certificates;  // chosen by SNI; the first is the default
  std::string min_version = "TLSv1.2";             // TLSv1.2 | TLSv1.3
  std::string ciphers;                             // TLS 1.2 list; empty: modern ECDHE AEADs
  std::string ciphersuites;                        // TLS 1.3 suites; empty: OpenSSL's default
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  // Resumption, each switchable per listener (nginx ssl_session_tickets, HAProxy
  // no-tls-tickets): stateless tickets, and the server-side session cache.
  bool session_tickets = true;
  bool session_cache = true;
};

struct ListenerConfig {
  Address address;
  std::optional<TlsConfig> tls;
  bool redirect_https = false;         // plain listeners: 301 to https://host[:port]/path
  uint16_t redirect_https_port = 443;  // the port named in the redirect (443: none written)
  uint32_t hsts = 0;                   // TLS listeners: Strict-Transport-Security max-age; 0 = off
  bool h2c = false;                    // plain listeners: also accept HTTP/2 with prior knowledge
  // "FILE:LINE:COL: listeners[1]" of the item, so that a reload refusing a changed listener
  // points at its line.
  std::string origin;
};

// HTTP/2 limits toward clients (the defences of RFC 9113 §10.5 and CVE-2023-44487). The
// frame budgets count per 10 s; one over ends the connection with GOAWAY ENHANCE_YOUR_CALM.
struct Http2Config {
  uint32_t max_concurrent_streams = 128;
  ByteSize max_header_list = ByteSize::kib(64);
  // HPACK dynamic table (RFC 7541 §4.2): what the client's encoder may use toward us
  // (SETTINGS_HEADER_TABLE_SIZE) and at most what ours uses toward it.
  ByteSize header_table_size = ByteSize::kib(4);
  uint32_t max_continuations = 8;  // CONTINUATION frames after one HEADERS
  // Per stream: what a client may send before the handler takes it, so also what one paused
  // upload holds here (about HTTP/1's read buffer).
  ByteSize stream_window = ByteSize::kib(64);
  ByteSize connection_window = ByteSize::mib(16);
  // Response bytes one connection's streams may hold together for a client that does not read
  // (each stream also stops at its own high watermark): what a slow reader can pin.
  ByteSize response_buffer = ByteSize::mib(4);
  uint32_t max_resets = 200;           // RST_STREAMs, received or provoked
  uint32_t max_settings = 100;         // SETTINGS frames
  uint32_t max_pings = 100;            // PING frames
  uint32_t max_empty_frames = 100;     // DATA frames without payload nor END_STREAM
  uint32_t max_window_updates = 1000;  // WINDOW_UPDATEs beyond two per DATA frame we sent
};

enum class Balance { RoundRobin, LeastConn };

struct ServerConfig {
  std::string name;  // unique within its pool; the admin API calls it POOL/SERVER
  Address address;
  uint32_t weight = 1;  // 0..256; 0 = never picked (parked without draining)
  // "FILE:LINE:COL: backends.app.servers[0].address", for errors found when it is resolved.
  std::string address_origin;
};

// `backends.POOL.health:` active HTTP checks (HAProxy's `option httpchk` + rise/fall) and the
// passive checks on live traffic. Present only when the key is: without it servers are assumed
// up and nothing ejects them.
struct StatusRange {
  uint16_t low = 200;
  uint16_t high = 399;
  friend bool operator==(const StatusRange&, const StatusRange&) = default;
};

struct PassiveCheckConfig {
  uint32_t fall = 5;       // consecutive failures on live traffic that eject; 0 = off
  bool on_connect = true;  // a failed or timed-out connect counts
  bool on_timeout = true;  // backend_response elapsing counts
  bool on_5xx = false;     // a 5xx answer counts (off: one broken URL must not eject)
  friend bool operator==(const PassiveCheckConfig&, const PassiveCheckConfig&) = default;
};

struct HealthCheckConfig {
  std::string path;  // GET target, starts with '/'; required
  Duration interval{2000};
  Duration timeout{1000};
  uint32_t rise = 2;  // consecutive passes that bring a down server up
  uint32_t fall = 3;  // consecutive failures that take an up server down
  std::vector<StatusRange> expect = {StatusRange{}};  // passing statuses
  std::string host;                                   // Host header; empty: the server's address
  PassiveCheckConfig passive;
  friend bool operator==(const HealthCheckConfig&, const HealthCheckConfig&) = default;
};

struct BackendConfig {
  std::string name;  // the key under `backends:`
  Balance balance = Balance::RoundRobin;
  std::vector<ServerConfig> servers;  // never empty once loaded
  uint32_t retries = 1;               // idempotent requests, on connect failure, another server
  uint32_t max_idle_per_server = 32;  // key `max_idle`: idle keep-alive conns per server per worker
  std::optional<HealthCheckConfig> health;
  Duration slow_start{0};     // weight ramps from ~0 to full over this after coming back; 0 = off
  Duration hold{0};           // with no server available, a request waits this long; 0 = 503 now
  uint32_t hold_max = 10000;  // requests waiting at most (whole pool, all workers)
};

// `invalidate_on_unsafe`: whose successful unsafe requests (POST, PUT, DELETE, ...) drop the
// cached objects of their URL (RFC 9111 §4.4).
enum class InvalidateOnUnsafe {
  Always,   // `true`: anyone's (the RFC's rule)
  Never,    // `false`: nobody's; pages change by purge, ban or expiry only
  Session,  // `session`: only requests that carry a session (Authorization, or a Cookie not in
            // cache.anonymous_ignore_cookies), so that anonymous floods cannot empty the cache
};

// The statuses a forced lifetime (a route's `cache_ttl`, read-only's `min_ttl`) applies to when
// `cache_ttl_statuses` is not set: what a user expects to see again, never an error page that
// one client's odd request drew from the origin.
inline constexpr std::array<int, 6> kDefaultCacheTtlStatuses = {200, 203, 204, 300, 301, 308};

struct RouteConfig {
  std::string host = "*";  // "*", an exact host, or "*.suffix"; lowercase
  std::string path_prefix = "/";
  std::string backend;  // names an entry of Config::backends (checked by the loader)
  bool cache = false;
  // Per-route cache overrides: a TTL that replaces the response's own freshness (still never
  // for private/no-store responses), and whether Set-Cookie may be stripped so that a response
  // that sets a cookie can be stored (otherwise it never is).
  std::optional<Duration> cache_ttl;
  // The statuses cache_ttl (and read_only.min_ttl) apply to; others keep the origin's own
  // freshness (RFC 9111). 200-599, never 206 or 304 (not stored as such).
  std::vector<int> cache_ttl_statuses =
      std::vector<int>(kDefaultCacheTtlStatuses.begin(), kDefaultCacheTtlStatuses.end());
  bool strip_set_cookie = false;
  InvalidateOnUnsafe invalidate_on_unsafe = InvalidateOnUnsafe::Always;
};

inline constexpr Duration kDefaultKeepVersions{24 * 3600 * 1000};

// `static:` one URL prefix served from a folder (INTERFACE.md; proxy/static_files/README.md).
struct StaticConfig {
  std::string prefix;      // starts and ends with '/'
  std::string root;        // a folder; must exist when the server starts
  bool versioned = false;  // name.<hash>.ext served immutable; plain names revalidate
  std::string manifest;    // a URL under `prefix` serving the JSON manifest; empty: none
  // Old versions of changed files stay served under their old hash this long, from copies in
  // `versions_dir` (content-addressed). 0: only the current version of each file is served.
  // Default with versioned: true: kDefaultKeepVersions.
  Duration keep_versions{0};
  // Default: STATE_DIR/static-versions/PREFIX, STATE_DIR being the state_file's folder or
  // systemd's $STATE_DIRECTORY (versions_dir_defaulted); with neither, keeping is off by
  // default and keep_versions without versions_dir is an error.
  std::string versions_dir;
  bool versions_dir_defaulted = false;
  std::string index;            // file served for a folder, e.g. index.html; empty: 404
  bool allow_symlinks = false;  // false: symlinks may not lead out of `root`
  bool dotfiles = false;        // false: any path segment starting with '.' is 404
  bool precompressed = true;    // serve name.br / name.gz siblings when accepted
  std::vector<std::pair<std::string, std::string>> types;  // extension (no dot) -> Content-Type
};

struct Timeouts {
  Duration client_header{10000};
  Duration client_idle{60000};
  // The wait for a request body's first byte, and each window limits.min_body_rate is judged on.
  Duration client_body{10000};
  // A response that cannot move (the client's socket, or its HTTP/2 flow-control window, stays
  // full) is given up after this long: the connection closes (HTTP/1, or a stalled HTTP/2
  // socket) or the stream is reset (HTTP/2), and its backend connection is released.
  Duration client_send{30000};
  // A kept-alive HTTP/1 connection idle this long is parked: it keeps its socket (and TLS
  // session) and gives back its buffers, events and codec (~2 KiB) until the client speaks.
  // 0: never. Past client_idle it has no effect (the connection closes first).
  Duration client_park{250};
  Duration backend_connect{3000};
  Duration backend_response{60000};
  // An idle keep-alive connection to a backend is closed after this (nginx's upstream
  // keepalive_timeout): servers that drop idle connections first are raced less often.
  Duration backend_idle{60000};
  // A tunnel (WebSocket after 101) with no byte in either direction is closed after this
  // (HAProxy's `timeout tunnel`); applications that ping stay open.
  Duration tunnel_idle{3600 * 1000};
};

struct Limits {
  ByteSize request_line = ByteSize::kib(8);
  ByteSize headers = ByteSize::kib(64);
  uint32_t header_count = 100;
  ByteSize body = ByteSize::mib(100);
  // Bytes per second a request body must average over each timeouts.client_body window
  // (Apache's MinRate); 0: any progress will do.
  ByteSize min_body_rate = ByteSize::kib(1);
  // Client connections open at once on the public listeners, all workers together; past it a
  // new connection is closed at accept. nullopt (`auto`): half the file descriptors the process
  // may open (RLIMIT_NOFILE, raised to its hard limit at start) less 256, at least 64, so that
  // each client connection can have a backend connection and files and logs still open.
  std::optional<uint32_t> max_connections;
  uint32_t max_connections_per_ip = 256;  // from one client address, all workers; 0 = off
  // Bytes that connection buffers and in-flight bodies may hold, the cache's objects not
  // counted (base/memory_budget.h); above it new requests get 503 and reading pauses.
  ByteSize memory = ByteSize::gib(1);
};

// `admin:` the admin API (INTERFACE.md). Present only when the section is: without it no admin
// listener runs.
struct AdminConfig {
  Address address{"127.0.0.1", 9901, "127.0.0.1:9901"};
  // Exactly one of these names where the bearer token comes from; the loader reads it, so a
  // reload picks up a rotated token and a missing one fails the load instead of the first
  // request.
  std::string token_file;
  std::string token_env;
  std::string token;  // one line of visible ASCII, never empty; keep it out of logs
  // Connections: an operator's authenticated request must always get through, so connections
  // that have not yet shown the token are capped apart (the least recently active one is
  // closed to make room for a new one) below the hard cap on all connections.
  uint32_t max_connections = 128;
  uint32_t max_unauthenticated = 16;
  Duration client_header{10000};  // a request's head must arrive within this
  Duration client_idle{30000};    // a kept-alive connection with no request closes after this
  Duration session_ttl{12 * 3600 * 1000};  // a status page login (cookie) lasts this long
};

// `cluster:` instances of one site share read-only mode, backend admin states, pool pauses and
// cache purges through Redis (docs/CLUSTER.md). Absent: nothing of it runs.
// `cluster.tls:` how a rediss:// link verifies Redis and, optionally, presents itself.
struct ClusterTlsConfig {
  std::string ca_file;    // the CAs that may sign Redis' certificate; empty: the system store
  std::string cert_file;  // a client certificate (chain, PEM) for tls-auth-clients; with key_file
  std::string key_file;   // its private key (PEM)
  std::string
      server_name;  // the name Redis' certificate must carry (and SNI); empty: the URL's host
  // "FILE:LINE:COL: cluster.tls.KEY" of each file, for errors found when OpenSSL reads it.
  std::string ca_origin;
  std::string cert_origin;
  std::string key_origin;

  friend bool operator==(const ClusterTlsConfig&, const ClusterTlsConfig&) = default;
};

struct ClusterConfig {
  std::string redis;  // the URL as written (never holds a password), for logs and /cluster
  std::string host;   // from redis[s]://HOST[:PORT][/DB]
  uint16_t port = 6379;
  uint32_t db = 0;
  bool use_tls = false;  // rediss://: through the in-process TLS bridge (admin-api/cluster)
  ClusterTlsConfig tls;  // only with use_tls
  // At most one names where Redis' password (AUTH) comes from; none: no AUTH.
  std::string password_file;
  std::string password_env;
  std::string password;         // keep it out of logs
  std::string name;             // the site: instances with the same name share state
  std::string instance;         // this instance's name; default the hostname
  Duration heartbeat{1000};     // how often this instance writes its heartbeat and reads others'
  Duration instance_ttl{5000};  // a heartbeat older than this: the instance is gone
  Duration timeout{1000};       // connecting, and loading the state at start
  Duration retry_max{5000};     // reconnect backoff: 100 ms doubling up to this

  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

// `cache:` the shared in-memory HTTP cache (RFC 9111). Present only when the section is; routes
// opt in with `cache: true`.
struct CacheConfig {
  ByteSize memory = ByteSize::mib(256);    // bodies + headers + per-object overhead, all counted
  ByteSize max_object = ByteSize::mib(8);  // larger responses pass through unstored
  // Out-of-band permission (RFC 9111 §4.2.4) to serve a stale object while one refresh runs, as
  // if every response said stale-while-revalidate=grace. 0 (the default): only when the origin
  // says so. Never past must-revalidate, proxy-revalidate, no-cache or s-maxage.
  Duration grace{0};
  // How long past its freshness a stale object may be served while the origin fails (5xx, no
  // server, timeout), as if every response said stale-if-error; same prohibitions.
  Duration stale_if_error{3600 * 1000};
  // Targeted cache control (RFC 9213): response fields whose directives replace Cache-Control
  // and Expires for this cache, the first valid one in this order (e.g. Gatehouse-Cache-Control
  // before CDN-Cache-Control). Removed from what clients see unless forward_targeted_fields.
  std::vector<std::string> targeted_fields{"CDN-Cache-Control"};
  bool forward_targeted_fields = false;
  // A hit replays the 103 Early Hints (RFC 8297) the fill saw from the origin, before the
  // response, so that browsers start their preloads as on a miss. Off by default.
  bool replay_early_hints = false;
  std::vector<std::string> anonymous_ignore_cookies;  // cookie names that do not personalise
  Duration coalesce_timeout{10 * 1000};               // how long a request waits on another's fill
  Duration heuristic_max{24 * 3600 * 1000};           // cap of the 10% Last-Modified heuristic
  // Variants (Vary) kept per URL; a response that would be one more passes unstored, so that
  // junk values of a Vary'd field cannot fill the cache or slow a URL's lookups.
  uint32_t max_variants = 32;
  // Client networks whose PURGE and BAN requests on the public listeners gatehouse answers
  // itself (Varnish's purge ACL); default none: then only a request with the admin token may.
  std::vector<CidrBlock> purge_from;
};

// `read_only:` how read-only mode behaves while it is on (the switch itself is the admin API's
// PUT /read-only, kept in the state file).
struct ReadOnlyConfig {
  Duration retry_after{300000};    // the Retry-After of blocked requests
  std::string page_file;           // `page`: the HTML file served with the 503; empty: built in
  std::string page;                // its content, read at load time (a reload re-reads it)
  std::vector<std::string> allow;  // path prefixes still allowed to write, untouched by the gate
  Duration min_ttl{60000};         // GET/HEAD responses are cached at least this long while on
  bool default_enabled = false;    // `default`: the state when the state file has none (missing,
                                   // corrupt, or no state_file configured)
};

// `forward:` what of a client's request reaches the backends beyond what gatehouse sets itself.
struct ForwardConfig {
  // Fields of kClientControlledFields (forward_fields.h) passed through instead of stripped, as
  // written in the file; compare case-insensitively.
  std::vector<std::string> allow_headers;
  // Upgrade protocols relayed to backends, lowercase; "websocket" always is. Any other Upgrade
  // (h2c above all) is dropped and the request forwarded as an ordinary one.
  std::vector<std::string> upgrade_tokens = {"websocket"};
};

enum class AccessLogFormat { Combined, Json };

struct LogConfig {
  std::string access = "stdout";  // "stdout" | "stderr" | "off" | a file path
  AccessLogFormat format = AccessLogFormat::Combined;
  log::Level level = log::Level::Info;
  std::string error = "stderr";  // the error log: "stderr" or a file path (appended to)
};

struct Config {
  std::string source;    // the file it came from, for messages and reload
  unsigned workers = 0;  // always resolved by the loader (`auto` = cores); 0 only when unloaded
  Duration shutdown_grace{30000};
  std::vector<ListenerConfig> listeners;  // at least one
  // A vector, not a map, so that `ctl backends` and /metrics list pools in file order;
  // names are unique (checked by the loader). Use findBackend() to look one up.
  std::vector<BackendConfig> backends;
  std::vector<RouteConfig> routes;  // first match wins; at least one
  Timeouts timeouts;
  Limits limits;
  LogConfig log;
  Http2Config http2;
  std::optional<AdminConfig> admin;
  std::optional<CacheConfig> cache;
  std::optional<ClusterConfig> cluster;
  std::vector<StaticConfig> statics;  // `static:`; matched before routes, in file order
  // `state_file:` the JSON file where run-time changes (read-only mode, backend states) survive
  // a restart or a crash; empty: none, they are lost on restart. Its directory must exist.
  std::string state_file;
  ReadOnlyConfig read_only;
  ForwardConfig forward;
  // "FILE:LINE:COL" of each key the file sets, top-level (`workers`) and one level down
  // (`admin.address`, `log.access`), so that a later verdict on a key (a reload that needs a
  // restart) points at its line. Keys the file leaves out are absent.
  std::map<std::string, std::string, std::less<>> key_origins;
  // 16 hex digits over what must be the same on every instance of a site: the document without
  // its per-instance keys (workers, listeners, admin, state_file, log, cluster). /cluster flags
  // instances whose digest differs.
  std::string digest;

  // The pool called `name`, or nullptr.
  const BackendConfig* findBackend(std::string_view name) const {
    for (const BackendConfig& b : backends)
      if (b.name == name) return &b;
    return nullptr;
  }
};

}  // namespace gatehouse::config
