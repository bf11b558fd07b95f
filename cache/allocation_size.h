#pragma once
// What the allocator really hands out, for the cache's memory accounting (gatehouse_cache_bytes
// follows RSS, issue 15): jemalloc's size classes when it is the process's malloc (the gatehouse
// binary links it), glibc's chunk rounding otherwise (tests, sanitizer builds).

#include <cstddef>

namespace gatehouse::cache {

// The bytes a request for `n` takes (jemalloc's nallocx when linked, else an estimate).
size_t allocationSize(size_t n);
// The bytes the block at `p` (from malloc) takes.
size_t allocatedSize(const void* p);

}  // namespace gatehouse::cache
