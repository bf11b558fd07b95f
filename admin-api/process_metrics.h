#pragma once
// Prometheus's standard process_* metrics (CPU, memory, descriptors, start time), the names
// every dashboard and alert already knows, read from /proc/self on each scrape.

#include <chrono>

#include "admin-api/prometheus_text.h"

namespace gatehouse::admin {

// Adds what /proc offers; a value that cannot be read is left out, never made up.
void addProcessMetrics(PrometheusText& out, std::chrono::system_clock::time_point started);

}  // namespace gatehouse::admin
