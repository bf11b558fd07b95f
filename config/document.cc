// The top level of gatehouse.yaml: which key goes to which section reader. This table is the
// place to start when adding a section.
#include <fmt/format.h>

#include <cstdlib>
#include <optional>

#include "config/sections.h"

namespace gatehouse::config {
namespace {

std::string originOf(const Diagnostics& diag, const YAML::Mark& mark) {
  return fmt::format("{}:{}:{}", diag.source(), mark.line + 1, mark.column + 1);
}

// Config::key_origins: where each top-level key, and each key of a top-level map, is set.
void recordKeyOrigins(const Value& root, const Diagnostics& diag,
                      std::map<std::string, std::string, std::less<>>& origins) {
  if (!root.node.IsMap()) return;
  for (auto it = root.node.begin(); it != root.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) continue;
    origins.emplace(key.Scalar(), originOf(diag, key.Mark()));
    if (!value.IsMap()) continue;
    for (auto child = value.begin(); child != value.end(); ++child) {
      const YAML::Node child_key = child->first;
      if (child_key.IsScalar())
        origins.emplace(key.Scalar() + "." + child_key.Scalar(), originOf(diag, child_key.Mark()));
    }
  }
}

}  // namespace

std::string stateDirectory(const std::string& state_file) {
  if (!state_file.empty()) {
    const size_t slash = state_file.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : state_file.substr(0, slash);
  }
  const char* systemd = std::getenv("STATE_DIRECTORY");
  if (systemd == nullptr || *systemd == '\0') return "";
  std::string dir(systemd);
  return dir.substr(0, dir.find(':'));
}

std::string configDigest(const YAML::Node& root) {
  // Keys that differ between the instances of one site by design: where each listens, its own
  // files, its name. Everything else (pools, routes, cache, read_only...) must match.
  static constexpr const char* kPerInstance[] = {"workers",    "listeners", "admin",
                                                 "state_file", "log",       "cluster"};
  std::string text;
  try {
    YAML::Node copy = YAML::Clone(root);
    if (copy.IsMap())
      for (const char* key : kPerInstance)
        copy.remove(key);
    text = YAML::Dump(copy);
  } catch (const std::exception&) {  // yaml-cpp throws; the loader never does
    return "";
  }
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64: a comparison, not a secret
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

Config readDocument(const Value& root, Diagnostics& diag) {
  Config config;
  config.workers = autoWorkers();
  // Sections that depend on others are kept and read after the map, whatever their order in the
  // file: routes need the backends, admin the listeners, static the state file's folder.
  std::optional<Value> listeners, backends, routes, admin, statics;
  readMap(root,
          {
              {"workers", [&](const Value& v) { readWorkers(v, config.workers, diag); }},
              {"shutdown_grace",
               [&](const Value& v) {
                 if (auto d = readDuration(v, diag)) config.shutdown_grace = *d;
               }},
              {"listeners", [&](const Value& v) { listeners = v; }, /*required=*/true},
              {"backends", [&](const Value& v) { backends = v; }, /*required=*/true},
              {"routes", [&](const Value& v) { routes = v; }, /*required=*/true},
              {"timeouts", [&](const Value& v) { readTimeouts(v, config.timeouts, diag); }},
              {"limits", [&](const Value& v) { readLimits(v, config.limits, diag); }},
              {"log", [&](const Value& v) { readLog(v, config.log, diag); }},
              {"http2", [&](const Value& v) { readHttp2(v, config.http2, diag); }},
              {"admin", [&](const Value& v) { admin = v; }},
              {"cache", [&](const Value& v) { readCache(v, config.cache.emplace(), diag); }},
              {"static", [&](const Value& v) { statics = v; }},
              {"state_file", [&](const Value& v) { readStateFile(v, config.state_file, diag); }},
              {"read_only", [&](const Value& v) { readReadOnly(v, config.read_only, diag); }},
              {"forward", [&](const Value& v) { readForward(v, config.forward, diag); }},
              {"cluster", [&](const Value& v) { readCluster(v, config.cluster.emplace(), diag); }},
          },
          {}, diag);
  if (listeners) readListeners(*listeners, config.listeners, diag);
  if (backends) readBackends(*backends, config.backends, diag);
  if (routes) readRoutes(*routes, config.backends, config.cache.has_value(), config.routes, diag);
  if (admin) readAdmin(*admin, config.listeners, config.admin.emplace(), diag);
  recordKeyOrigins(root, diag, config.key_origins);
  config.digest = configDigest(root.node);
  if (statics) readStatics(*statics, stateDirectory(config.state_file), config.statics, diag);
  return config;
}

}  // namespace gatehouse::config
