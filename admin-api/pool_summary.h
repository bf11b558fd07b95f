#pragma once
// A pool at a glance, as `ctl status`, GET /status and the status page say it:
//   paused               the operator holds its requests (ctl pause)
//   serving              every server can take requests
//   degraded             some can: "n of m up"
//   down                 none can (down by the checks, drained or in maint)

#include <cstddef>
#include <string_view>

#include "proxy/upstream/backend_pool.h"

namespace gatehouse::admin {

struct PoolSummary {
  std::string_view status;  // paused | serving | degraded | down
  size_t available = 0;     // servers that may take a request now
  size_t servers = 0;
};

inline PoolSummary summarize(const upstream::BackendPool& pool) {
  PoolSummary s;
  s.servers = pool.servers().size();
  for (const auto& server : pool.servers())
    s.available += server->available() ? 1 : 0;
  if (pool.paused())
    s.status = "paused";
  else if (s.available == 0)
    s.status = "down";
  else
    s.status = s.available == s.servers ? "serving" : "degraded";
  return s;
}

}  // namespace gatehouse::admin
