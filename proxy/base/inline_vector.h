#pragma once
// A list that is almost always short (the servers one request has tried: 1 + the pool's
// `retries`, 2 by default): kept in an inline array up to N items, so the common case never
// touches the allocator, and moved to the heap only past N, so no item is ever dropped. The
// same idea as inline_buffer.h, for trivially copyable items (pointers, ids).

#include <array>
#include <cassert>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

namespace gatehouse {

template <typename T, size_t N>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T>, "items are copied as bytes, never destroyed");

 public:
  void push_back(T item) {
    if (!spilled_ && size_ < N) {
      inline_[size_++] = item;
      return;
    }
    if (!spilled_) {
      heap_.reserve(2 * N);
      heap_.assign(inline_.begin(), inline_.begin() + static_cast<std::ptrdiff_t>(size_));
      spilled_ = true;
    }
    heap_.push_back(item);
  }
  void pop_back() {
    assert(!empty());
    if (spilled_)
      heap_.pop_back();
    else
      --size_;
  }
  // Back to empty and inline (a spilled list frees its heap copy).
  void clear() {
    size_ = 0;
    spilled_ = false;
    std::vector<T>().swap(heap_);  // (`heap_ = {}` would keep its capacity)
  }
  std::span<const T> items() const {
    return spilled_ ? std::span<const T>(heap_) : std::span<const T>(inline_.data(), size_);
  }
  size_t size() const { return spilled_ ? heap_.size() : size_; }
  bool empty() const { return size() == 0; }
  // Whether the items went to the heap (more than N were pushed since the last clear()).
  bool spilled() const { return spilled_; }

 private:
  std::array<T, N> inline_{};
  size_t size_ = 0;
  bool spilled_ = false;
  std::vector<T> heap_;
};

}  // namespace gatehouse
