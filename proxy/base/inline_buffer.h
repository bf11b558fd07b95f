#pragma once
// Text built per request that is almost always short (a response's per-hit fields, a
// Cache-Status value): kept in an inline array up to N bytes, so the common case never touches
// the allocator, and moved to the heap only past N, so a long value is never cut.

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace gatehouse {

template <size_t N>
class InlineBuffer {
 public:
  void append(std::string_view text) {
    if (!spilled_ && size_ + text.size() <= N) {
      if (!text.empty()) std::memcpy(inline_.data() + size_, text.data(), text.size());
      size_ += text.size();
      return;
    }
    if (!spilled_) {
      heap_.reserve(2 * (size_ + text.size()));
      heap_.assign(inline_.data(), size_);
      spilled_ = true;
    }
    heap_.append(text);
  }
  // Makes room for n more bytes and returns where they go (for writers that fill several
  // pieces at once; every byte must be written).
  char* grow(size_t n) {
    if (!spilled_ && size_ + n <= N) {
      char* at = inline_.data() + size_;
      size_ += n;
      return at;
    }
    if (!spilled_) {
      heap_.reserve(2 * (size_ + n));
      heap_.assign(inline_.data(), size_);
      spilled_ = true;
    }
    const size_t at = heap_.size();
    heap_.resize(at + n);
    return heap_.data() + at;
  }
  void appendNumber(int64_t value) {
    char digits[24];
    char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;  // 24 hold any int64_t
    append(std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  void assign(std::string_view text) {
    clear();
    append(text);
  }
  // Back to empty and inline; a spilled buffer gives its heap room back, so that a buffer
  // reused request after request keeps no more than N of one long value.
  void clear() {
    size_ = 0;
    if (spilled_) std::string().swap(heap_);
    spilled_ = false;
  }
  std::string_view view() const {
    return spilled_ ? std::string_view(heap_) : std::string_view(inline_.data(), size_);
  }
  bool empty() const { return view().empty(); }
  size_t size() const { return view().size(); }

 private:
  std::array<char, N> inline_;
  size_t size_ = 0;
  bool spilled_ = false;
  std::string heap_;
};

}  // namespace gatehouse
