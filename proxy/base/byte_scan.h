#pragma once
// Finding the first byte of a class in a buffer, sixteen bytes a step where the CPU has SSE2
// (every x86-64 does). The HTTP/1 parser spends most of its time walking field values byte by
// byte; a value's bytes are checked in one compare per sixteen here.

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gatehouse::ascii {

// The first byte in [p, end) that is a control character (0x00-0x1F) or DEL (0x7F), or `end`.
// HTAB, CR and LF are control characters: a field value stops at each (the caller decides).
inline const char* findControlOrDel(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i last_control = _mm_set1_epi8(0x1F);
  const __m128i del = _mm_set1_epi8(0x7F);
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // unsigned byte <= 0x1F  <=>  min(byte, 0x1F) == byte
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, last_control), bytes);
    const __m128i hits = _mm_or_si128(control, _mm_cmpeq_epi8(bytes, del));
    if (const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits)); mask != 0)
      return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    const auto c = static_cast<uint8_t>(*p);
    if (c < 0x20 || c == 0x7F) return p;
  }
  return end;
}

}  // namespace gatehouse::ascii
