#pragma once
// The allocator's own account of the heap (jemalloc's stats.*), beside
// process_resident_memory_bytes: RSS alone cannot tell live data from pages freed but not yet given
// back, nor from the allocator's bookkeeping.

#include "admin-api/prometheus_text.h"

namespace gatehouse::admin {

// Adds gatehouse_allocator_bytes{kind}: allocated, active, resident, metadata, retained. Nothing
// when the process runs without jemalloc (sanitizer builds, the unit tests).
void addAllocatorMetrics(PrometheusText& out);

}  // namespace gatehouse::admin
