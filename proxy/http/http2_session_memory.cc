#include "proxy/http/http2_session_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "proxy/base/asan.h"

namespace gatehouse::http {

Http2SessionMemory* Http2SessionMemory::forThisThread() {
#if GATEHOUSE_ASAN
  return nullptr;
#else
  static thread_local Http2SessionMemory* const memory = new Http2SessionMemory;  // see the header
  return memory->base_ ? memory : nullptr;
#endif
}

Http2SessionMemory::Http2SessionMemory() {
  void* range = ::mmap(nullptr, kReservedBytes, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (range == MAP_FAILED) return;
  base_ = static_cast<char*>(range);
  reserved_ = kReservedBytes;
}

void* Http2SessionMemory::takeSlot() {
  if (!free_.empty()) {
    void* slot = free_.back();
    free_.pop_back();
    return slot;
  }
  const size_t end = (handed_out_ + 1) * kSlotBytes;
  if (end > reserved_) return nullptr;
  if (end > committed_) {
    const size_t grow = std::min(kCommitSlots * kSlotBytes, reserved_ - committed_);
    if (::mprotect(base_ + committed_, grow, PROT_READ | PROT_WRITE) != 0) return nullptr;
    committed_ += grow;
  }
  return base_ + handed_out_++ * kSlotBytes;
}

void* Http2SessionMemory::allocate(size_t size) {
  if (slotted(size)) {
    if (void* slot = takeSlot()) return slot;
  }
  return std::malloc(size);
}

void Http2SessionMemory::release(void* p) {
  if (!owns(p)) return std::free(p);
  // Whatever frames wrote goes back to the kernel; the slot reads as zeros when reused.
  ::madvise(p, kSlotBytes, MADV_DONTNEED);
  free_.push_back(p);
}

void* Http2SessionMemory::reallocate(void* p, size_t size) {
  if (!p) return allocate(size);
  if (!owns(p)) return std::realloc(p, size);  // a malloc'd block stays one
  if (size <= kSlotBytes) return p;
  void* bigger = std::malloc(size);
  if (!bigger) return nullptr;
  std::memcpy(bigger, p, kSlotBytes);
  release(p);
  return bigger;
}

// --- one session ---------------------------------------------------------------------------

Http2SessionPages::Http2SessionPages() : memory_(Http2SessionMemory::forThisThread()) {
  mem_ = nghttp2_mem{this, &onMalloc, &onFree, &onCalloc, &onRealloc};
}

void* Http2SessionPages::allocate(size_t size) {
  void* p = memory_->allocate(size);
  if (!frame_buffer_ && p && memory_->owns(p)) frame_buffer_ = p;
  return p;
}

void Http2SessionPages::release(void* p) {
  if (p && p == frame_buffer_) frame_buffer_ = nullptr;
  memory_->release(p);
}

void Http2SessionPages::releaseIdlePages() {
  if (frame_buffer_) ::madvise(frame_buffer_, Http2SessionMemory::kSlotBytes, MADV_DONTNEED);
}

void* Http2SessionPages::onMalloc(size_t size, void* self) {
  return static_cast<Http2SessionPages*>(self)->allocate(size);
}

void Http2SessionPages::onFree(void* p, void* self) {
  static_cast<Http2SessionPages*>(self)->release(p);
}

void* Http2SessionPages::onCalloc(size_t n, size_t size, void* self) {
  if (size != 0 && n > SIZE_MAX / size) return nullptr;
  // A slot is zero: fresh pages, or pages given back with MADV_DONTNEED.
  if (Http2SessionMemory::slotted(n * size))
    return static_cast<Http2SessionPages*>(self)->allocate(n * size);
  return std::calloc(n, size);
}

void* Http2SessionPages::onRealloc(void* p, size_t size, void* self) {
  auto* pages = static_cast<Http2SessionPages*>(self);
  if (!p) return pages->allocate(size);  // nghttp2 makes its frame buffer so (nghttp2_buf_reserve)
  void* moved = pages->memory_->reallocate(p, size);
  if (p && p == pages->frame_buffer_ && moved != p) pages->frame_buffer_ = nullptr;
  return moved;
}

}  // namespace gatehouse::http
