#include "cache/allocation_size.h"

#include <malloc.h>

// jemalloc's, present when it is linked (weak: the cache library does not require it).
extern "C" size_t nallocx(size_t size, int flags) __attribute__((weak));

namespace gatehouse::cache {

size_t allocationSize(size_t n) {
  if (nallocx) return nallocx(n == 0 ? 1 : n, 0);
  // glibc: a chunk of the request plus its 8-byte size word, rounded to 16, at least 32.
  const size_t chunk = (n + 8 + 15) & ~size_t{15};
  return chunk < 32 ? 32 : chunk;
}

size_t allocatedSize(const void* p) {
  // malloc_usable_size is jemalloc's when it replaces malloc; glibc's leaves out the size word.
  const size_t usable = malloc_usable_size(const_cast<void*>(p));
  return nallocx ? usable : usable + 8;
}

}  // namespace gatehouse::cache
