// `cluster:` Redis, the site's name and this instance's (docs/CLUSTER.md).
#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <optional>

#include "config/file_reader.h"
#include "config/sections.h"

namespace gatehouse::config {
namespace {

constexpr size_t kMaxPasswordFileBytes = 4096;

// A password travels in Redis' AUTH command: one line, without the newline `echo` leaves.
Result<std::string> passwordFrom(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.empty()) return Error{"is empty"};
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Error{"must be one line without control characters"};
  return text;
}

void readPasswordFile(const Value& v, ClusterConfig& cluster, Diagnostics& diag) {
  auto path = readString(v, diag);
  if (!path) return;
  cluster.password_file = *path;
  auto text =
      readRegularFile(*path, kMaxPasswordFileBytes, fmt::format("{} bytes", kMaxPasswordFileBytes));
  if (!text)
    return diag.error(v.mark, v.path,
                      fmt::format("cannot read \"{}\": {}", *path, text.error().message));
  auto password = passwordFrom(std::move(*text));
  if (!password)
    return diag.error(v.mark, v.path,
                      fmt::format("the password in \"{}\" {}", *path, password.error().message));
  cluster.password = std::move(*password);
}

void readPasswordEnv(const Value& v, ClusterConfig& cluster, Diagnostics& diag) {
  auto name = readString(v, diag);
  if (!name) return;
  cluster.password_env = *name;
  const char* value = std::getenv(name->c_str());
  if (value == nullptr)
    return diag.error(v.mark, v.path, fmt::format("environment variable {} is not set", *name));
  auto password = passwordFrom(value);
  if (!password)
    return diag.error(
        v.mark, v.path,
        fmt::format("the password in environment variable {} {}", *name, password.error().message));
  cluster.password = std::move(*password);
}

// A DNS name as a certificate carries it (letters, digits, '-', '.'; no wildcard: that is the
// certificate's side), or an IP address.
bool isServerName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':'))
      return false;
  return true;
}

void readClusterTls(const Value& v, ClusterTlsConfig& tls, Diagnostics& diag) {
  std::optional<Value> cert_v, key_v;
  bool is_map = readMap(
      v,
      {
          {"ca_file",
           [&](const Value& f) {
             tls.ca_file = readFilePath(f, diag).value_or("");
             tls.ca_origin = valueOrigin(f, diag);
           }},
          {"cert_file",
           [&](const Value& f) {
             cert_v = f;
             tls.cert_file = readFilePath(f, diag).value_or("");
             tls.cert_origin = valueOrigin(f, diag);
           }},
          {"key_file",
           [&](const Value& f) {
             key_v = f;
             tls.key_file = readFilePath(f, diag, kKeyPermissionFix).value_or("");
             tls.key_origin = valueOrigin(f, diag);
           }},
          {"server_name",
           [&](const Value& n) {
             auto name = readString(n, diag);
             if (!name) return;
             if (!isServerName(*name))
               return diag.error(n.mark, n.path,
                                 fmt::format("\"{}\" is not a host name or an IP address", *name));
             tls.server_name = *name;
           }},
      },
      {}, diag);
  if (!is_map) return;
  if (cert_v && !key_v)
    diag.error(v.mark, v.path + ".key_file",
               "required with cert_file (the client certificate's private key)");
  if (key_v && !cert_v)
    diag.error(v.mark, v.path + ".cert_file", "required with key_file (the client certificate)");
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

Result<RedisUrl> parseRedisUrl(std::string_view url) {
  RedisUrl out;
  std::string_view rest;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("rediss://")) {
    rest = url.substr(9);
    out.tls = true;
  } else {
    return Error{"expected redis://HOST[:PORT][/DB] or rediss://HOST[:PORT][/DB] (TLS)"};
  }
  if (rest.find('@') != std::string_view::npos)
    return Error{
        "no credentials in the URL (it appears in logs and /cluster): use password_file or "
        "password_env"};
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      uint32_t n = 0;
      for (char c : db) {
        if (c < '0' || c > '9' || n > 1000) return Error{"the database after / must be 0..1000"};
        n = n * 10 + static_cast<uint32_t>(c - '0');
      }
      if (n > 1000) return Error{"the database after / must be 0..1000"};
      out.db = n;
    }
  }
  std::string_view host = authority;
  if (authority.starts_with('[')) {  // [::1]:6379
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error{"unclosed [ in the host"};
    host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
  } else {
    const size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    authority = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (host.empty()) return Error{"no host: expected redis[s]://HOST[:PORT][/DB]"};
  out.host = std::string(host);
  if (!authority.empty()) {
    if (authority.front() != ':' || authority.size() == 1)
      return Error{"expected :PORT after the host"};
    uint32_t port = 0;
    for (char c : authority.substr(1)) {
      if (c < '0' || c > '9' || port > 65535) return Error{"the port must be 1..65535"};
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port == 0 || port > 65535) return Error{"the port must be 1..65535"};
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

void readCluster(const Value& v, ClusterConfig& cluster, Diagnostics& diag) {
  std::optional<Value> file_v, env_v, tls_v;
  bool has_redis = false, has_name = false;
  const auto positive = [&](const Value& d, Duration& out) {
    auto t = readDuration(d, diag);
    if (!t) return;
    if (t->count() <= 0) return diag.error(d.mark, d.path, "must be more than 0");
    out = *t;
  };
  bool is_map =
      readMap(v,
              {
                  {"redis",
                   [&](const Value& r) {
                     auto text = readString(r, diag);
                     if (!text) return;
                     auto url = parseRedisUrl(*text);
                     if (!url) return diag.error(r.mark, r.path, url.error().message);
                     cluster.redis = *text;
                     cluster.host = url->host;
                     cluster.port = url->port;
                     cluster.db = url->db;
                     cluster.use_tls = url->tls;
                     has_redis = true;
                   },
                   /*required=*/true},
                  {"name",
                   [&](const Value& n) {
                     if (auto name = readName(n, diag)) {
                       cluster.name = *name;
                       has_name = true;
                     }
                   },
                   /*required=*/true},
                  {"instance",
                   [&](const Value& n) {
                     if (auto name = readName(n, diag)) cluster.instance = *name;
                   }},
                  {"tls", [&](const Value& t) { tls_v = t; }},
                  {"password_file", [&](const Value& f) { file_v = f; }},
                  {"password_env", [&](const Value& e) { env_v = e; }},
                  {"heartbeat", [&](const Value& d) { positive(d, cluster.heartbeat); }},
                  {"instance_ttl", [&](const Value& d) { positive(d, cluster.instance_ttl); }},
                  {"timeout", [&](const Value& d) { positive(d, cluster.timeout); }},
                  {"retry_max", [&](const Value& d) { positive(d, cluster.retry_max); }},
              },
              {}, diag);
  if (!is_map || !has_redis || !has_name) return;
  if (file_v && env_v)
    return diag.error(env_v->mark, env_v->path, "use password_file or password_env, not both");
  if (tls_v) {
    if (!cluster.use_tls)
      return diag.error(tls_v->mark, tls_v->path,
                        "TLS settings for a redis:// URL: name Redis with rediss:// in "
                        "cluster.redis to reach it over TLS");
    readClusterTls(*tls_v, cluster.tls, diag);
  }
  if (file_v) readPasswordFile(*file_v, cluster, diag);
  if (env_v) readPasswordEnv(*env_v, cluster, diag);
  // A heartbeat must land at least twice within the TTL, or a live instance would blink out.
  if (cluster.instance_ttl < 2 * cluster.heartbeat)
    diag.error(v.mark, v.path + ".instance_ttl",
               fmt::format("must be at least twice heartbeat ({} ms)", cluster.heartbeat.count()));
  if (cluster.instance.empty()) {
    cluster.instance = hostname();
    // A hostname may hold characters a name may not (rare): keep the name usable in keys.
    for (char& c : cluster.instance)
      if (!isValidName(std::string_view(&c, 1))) c = '-';
  }
}

}  // namespace gatehouse::config
