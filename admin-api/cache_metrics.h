#pragma once
// The cache's part of GET /metrics; nothing when no `cache:` section is configured.

#include "admin-api/prometheus_text.h"
#include "proxy/server/process_control.h"

namespace gatehouse::admin {

void addCacheMetrics(PrometheusText& out, const server::ProcessControl& control);

}  // namespace gatehouse::admin
