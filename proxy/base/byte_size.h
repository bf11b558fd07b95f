#pragma once
// Sizes carry their unit in the type: limits are ByteSize, never a bare integer named *_kb.

#include <compare>
#include <cstdint>

namespace gatehouse {

class ByteSize {
 public:
  constexpr ByteSize() = default;
  constexpr explicit ByteSize(uint64_t bytes) : bytes_(bytes) {}
  static constexpr ByteSize kib(uint64_t n) { return ByteSize(n << 10); }
  static constexpr ByteSize mib(uint64_t n) { return ByteSize(n << 20); }
  static constexpr ByteSize gib(uint64_t n) { return ByteSize(n << 30); }

  constexpr uint64_t bytes() const { return bytes_; }
  constexpr auto operator<=>(const ByteSize&) const = default;

 private:
  uint64_t bytes_ = 0;
};

}  // namespace gatehouse
