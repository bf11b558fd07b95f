#pragma once
// Whether this build runs under AddressSanitizer, and the two calls that mark memory the
// process keeps for reuse (freed to us, not to the allocator) so a use of it is still reported.
// gcc says "built with ASan" with __SANITIZE_ADDRESS__, clang with __has_feature; both mean the
// same here. Outside ASan the calls compile to nothing.

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define GATEHOUSE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GATEHOUSE_ASAN 1
#endif
#endif
#ifndef GATEHOUSE_ASAN
#define GATEHOUSE_ASAN 0
#endif

#if GATEHOUSE_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace gatehouse {

inline void asanPoison(const void* p, size_t n) {
#if GATEHOUSE_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

inline void asanUnpoison(const void* p, size_t n) {
#if GATEHOUSE_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

}  // namespace gatehouse
