#pragma once
// Small helpers shared by the fuzz targets: a check that crashes (so libFuzzer keeps the input and
// the replay test fails), and exact-size copies so ASan sees any read past a prefix.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace gatehouse::fuzz {

// An invariant of the code under test; a false one aborts with the failed condition.
#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

// A heap block of exactly s.size() bytes holding s.
class ExactCopy {
 public:
  explicit ExactCopy(std::string_view s)
      : bytes_(new char[s.empty() ? 1 : s.size()]), size_(s.size()) {
    if (!s.empty()) std::memcpy(bytes_.get(), s.data(), s.size());
  }
  std::string_view view() const { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t size_;
};

// True when `part` is empty or lies within `whole`.
inline bool within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  auto p = reinterpret_cast<uintptr_t>(part.data());
  auto w = reinterpret_cast<uintptr_t>(whole.data());
  return p >= w && p + part.size() <= w + whole.size();
}

// A deterministic pseudo-random number from the input (FNV-1a), for split points.
inline uint64_t hashOf(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s)
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

}  // namespace gatehouse::fuzz
