#pragma once
// The per-section readers, internal to config/. Each reads one section of the document into its
// struct and reports every problem to Diagnostics; document.cc calls them in dependency order.
//
// To support a key that is "not supported yet": add the field to its struct in config.h, move
// the key from the section's `unsupported` list to its `fields`, and add a reader.

#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/node_reader.h"
#include "proxy/base/result.h"

namespace gatehouse::config {

// The whole document (the top-level map) into a Config; Config::source is left to the caller.
Config readDocument(const Value& root, Diagnostics& diag);

// general.cc: the small top-level keys and sections.
void readWorkers(const Value& v, unsigned& workers, Diagnostics& diag);
unsigned autoWorkers();  // `workers: auto`
void readTimeouts(const Value& v, Timeouts& timeouts, Diagnostics& diag);
void readLimits(const Value& v, Limits& limits, Diagnostics& diag);
void readLog(const Value& v, LogConfig& log, Diagnostics& diag);

// listeners.cc
void readListeners(const Value& v, std::vector<ListenerConfig>& listeners, Diagnostics& diag);

// tls.cc
void readTls(const Value& v, TlsConfig& tls, Diagnostics& diag);
void readHttp2(const Value& v, Http2Config& h2, Diagnostics& diag);

// admin.cc: `admin:`, reading the token from its file or environment variable.
// `listeners` are read first: the admin address must not be one of theirs.
void readAdmin(const Value& v, const std::vector<ListenerConfig>& listeners, AdminConfig& admin,
               Diagnostics& diag);

// general.cc: `state_file:`, a path whose directory exists (the file itself may not, yet).
void readStateFile(const Value& v, std::string& path, Diagnostics& diag);

// tls.cc: a file that must exist and be readable now (OpenSSL checks its content later, with
// an error that names the file); `fix` is added when it exists but this process may not read it.
std::optional<std::string> readFilePath(const Value& v, Diagnostics& diag,
                                        std::string_view fix = "");
// A key the service user cannot read is the common case (certbot writes keys 0600 root).
inline constexpr std::string_view kKeyPermissionFix =
    " (gatehouse reads keys as its service user: give that user's group read access, `chgrp "
    "gatehouse KEY; chmod 0640 KEY` and search access on the folders above, or hand the key "
    "over with systemd's LoadCredential= and name /run/credentials/gatehouse.service/NAME "
    "here; see gatehouse(8), TLS KEYS)";
// "FILE:LINE:COL: KEY" of a value, for errors found after loading (OpenSSL reading a file).
std::string valueOrigin(const Value& x, const Diagnostics& diag);

// cluster.cc: `cluster:`, reading Redis' password from its file or environment variable and
// defaulting `instance` to the hostname.
void readCluster(const Value& v, ClusterConfig& cluster, Diagnostics& diag);
struct RedisUrl {
  std::string host;
  uint16_t port = 6379;
  uint32_t db = 0;
  bool tls = false;  // rediss://
};
// redis://HOST[:PORT][/DB] or rediss://... (TLS); no credentials (they would reach logs).
Result<RedisUrl> parseRedisUrl(std::string_view url);

// read_only.cc: `read_only:`, reading the page file at load time.
void readReadOnly(const Value& v, ReadOnlyConfig& read_only, Diagnostics& diag);

// backends.cc
void readBackends(const Value& v, std::vector<BackendConfig>& backends, Diagnostics& diag);
// health_check.cc: `backends.POOL.health:`.
void readHealthCheck(const Value& v, HealthCheckConfig& health, Diagnostics& diag);

// routes.cc: `backends` are the pools read so far; a route must name one of them. When it is
// empty the backends section has already been reported and route targets are not checked.
// `cache_enabled`: a `cache:` section exists, without which `cache: true` is an error.
void readRoutes(const Value& v, const std::vector<BackendConfig>& backends, bool cache_enabled,
                std::vector<RouteConfig>& routes, Diagnostics& diag);

// forward.cc: `forward:`.
void readForward(const Value& v, ForwardConfig& forward, Diagnostics& diag);

// cache.cc: `cache:`.
void readCache(const Value& v, CacheConfig& cache, Diagnostics& diag);
// static_files.cc: `static:`. `state_dir` (stateDirectory()) holds the copies of old versions
// when a versioned site names no versions_dir; empty: none.
void readStatics(const Value& v, std::string_view state_dir, std::vector<StaticConfig>& statics,
                 Diagnostics& diag);
// document.cc: where gatehouse keeps what it writes: the state file's folder, else systemd's
// $STATE_DIRECTORY (the first of its list); empty when neither is known.
std::string stateDirectory(const std::string& state_file);
// document.cc: Config::digest of the document `root`.
std::string configDigest(const YAML::Node& root);

}  // namespace gatehouse::config
