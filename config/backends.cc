// `backends:` named pools of servers.
#include <fmt/format.h>

#include <unordered_map>
#include <utility>

#include "config/sections.h"

namespace gatehouse::config {
namespace {

constexpr uint32_t kMaxWeight = 256;
// More than a handful of retries turns one failing request into a storm against the pool.
constexpr uint32_t kMaxRetries = 10;
constexpr uint32_t kMaxIdlePerServer = 4096;
// Requests held for a pool (all workers): each one is a client connection kept open.
constexpr uint32_t kMaxHoldMax = 1000000;

// One entry of `servers:`. `names` maps server names seen so far in this pool to their position.
ServerConfig readServer(const Value& item, std::unordered_map<std::string, YAML::Mark>& names,
                        Diagnostics& diag) {
  ServerConfig server;
  readMap(item,
          {
              {"name",
               [&](const Value& v) {
                 auto name = readName(v, diag);
                 if (!name) return;
                 auto [first, inserted] = names.emplace(*name, v.mark);
                 if (!inserted) {
                   diag.error(v.mark, v.path,
                              fmt::format("duplicate server name \"{}\" (first at {}:{})", *name,
                                          first->second.line + 1, first->second.column + 1));
                 }
                 server.name = std::move(*name);
               },
               /*required=*/true},
              {"address",
               [&](const Value& v) {
                 auto address = readAddress(v, diag);
                 if (!address) return;
                 // Port 0 means "any port" to bind(); there is nothing to connect to.
                 if (address->port == 0) {
                   diag.error(v.mark, v.path, "port 0 is only meaningful for listeners");
                   return;
                 }
                 server.address = std::move(*address);
                 server.address_origin = fmt::format("{}:{}:{}: {}", diag.source(), v.mark.line + 1,
                                                     v.mark.column + 1, v.path);
               },
               /*required=*/true},
              {"weight",
               [&](const Value& v) {
                 if (auto w = readUint(v, 0, kMaxWeight, diag)) server.weight = *w;
               }},
          },
          {}, diag);
  return server;
}

void readServers(const Value& v, std::vector<ServerConfig>& servers, Diagnostics& diag) {
  std::unordered_map<std::string, YAML::Mark> names;
  size_t count = 0;
  bool is_list = readList(
      v,
      [&](const Value& item) {
        ++count;
        servers.push_back(readServer(item, names, diag));
      },
      diag);
  if (is_list && count == 0) diag.error(v.mark, v.path, "at least one server is required");
}

BackendConfig readBackend(const std::string& name, const Value& v, Diagnostics& diag) {
  BackendConfig backend;
  backend.name = name;
  readMap(
      v,
      {
          {"balance",
           [&](const Value& b) {
             if (auto balance = readChoice<Balance>(
                     b, {{"round_robin", Balance::RoundRobin}, {"least_conn", Balance::LeastConn}},
                     diag))
               backend.balance = *balance;
           }},
          {"servers",
           [&](const Value& s) {
             readServers(s, backend.servers, diag);
             // Weight 0 parks a server; parking all of them leaves a pool that answers every
             // request with 503, which is never what a config file means.
             bool all_parked = !backend.servers.empty();
             for (const ServerConfig& server : backend.servers)
               all_parked = all_parked && server.weight == 0;
             if (all_parked)
               diag.error(s.mark, s.path,
                          "every server has weight 0, so the pool can never be picked; give one "
                          "a weight (`ctl maint`/`ctl drain` take servers out at run time)");
           },
           /*required=*/true},
          {"retries",
           [&](const Value& r) {
             if (auto n = readUint(r, 0, kMaxRetries, diag)) backend.retries = *n;
           }},
          {"max_idle",
           [&](const Value& m) {
             if (auto n = readUint(m, 0, kMaxIdlePerServer, diag)) backend.max_idle_per_server = *n;
           }},
          {"health", [&](const Value& h) { readHealthCheck(h, backend.health.emplace(), diag); }},
          {"slow_start",
           [&](const Value& d) {
             if (auto slow_start = readDuration(d, diag)) backend.slow_start = *slow_start;
           }},
          {"hold",
           [&](const Value& d) {
             if (auto hold = readDuration(d, diag)) backend.hold = *hold;
           }},
          {"hold_max",
           [&](const Value& m) {
             if (auto n = readUint(m, 0, kMaxHoldMax, diag)) backend.hold_max = *n;
           }},
      },
      {}, diag);
  return backend;
}

}  // namespace

void readBackends(const Value& v, std::vector<BackendConfig>& backends, Diagnostics& diag) {
  size_t count = 0;
  bool is_map = readNamedMap(
      v, "backend name",
      [&](const std::string& name, const YAML::Mark& name_mark, const Value& pool) {
        ++count;
        // Read on even with a bad name, so that routes to it do not also report it unknown.
        if (!isValidName(name))
          diag.error(name_mark, pool.path, fmt::format("bad backend name ({})", kNameRule));
        backends.push_back(readBackend(name, pool, diag));
      },
      diag);
  if (is_map && count == 0) diag.error(v.mark, v.path, "at least one backend is required");
}

}  // namespace gatehouse::config
