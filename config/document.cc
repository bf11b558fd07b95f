// The top level of gatehouse.yaml: which key goes to which section reader. This table is the
// place to start when adding a section.
#include <optional>

#include "config/sections.h"

namespace gatehouse::config {

Config readDocument(const Value& root, Diagnostics& diag) {
  Config config;
  config.workers = autoWorkers();
  // Sections that depend on others are kept and read after the map, whatever their order in the
  // file: routes need the backends, admin the listeners.
  std::optional<Value> listeners, backends, routes, admin;
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
              {"static", [&](const Value& v) { readStatics(v, config.statics, diag); }},
              {"state_file", [&](const Value& v) { readStateFile(v, config.state_file, diag); }},
              {"read_only", [&](const Value& v) { readReadOnly(v, config.read_only, diag); }},
              {"forward", [&](const Value& v) { readForward(v, config.forward, diag); }},
          },
          {}, diag);
  if (listeners) readListeners(*listeners, config.listeners, diag);
  if (backends) readBackends(*backends, config.backends, diag);
  if (routes) readRoutes(*routes, config.backends, config.cache.has_value(), config.routes, diag);
  if (admin) readAdmin(*admin, config.listeners, config.admin.emplace(), diag);
  return config;
}

}  // namespace gatehouse::config
