#pragma once
// The allocator of a thread's nghttp2 sessions. Each session keeps a 16 KiB frame buffer from
// its start to its end (nghttp2 serializes every outgoing frame into it; DATA payloads go
// around it, NGHTTP2_DATA_FLAG_NO_COPY), and that buffer was the largest part of an idle HTTP/2
// connection: from malloc it came out of heap memory other allocations had already touched
// (and malloc's own headers touch its last page), so about all of it stayed resident although
// frames only ever fill its first page or two. Here buffers of that size take a page-aligned
// slot of their own in one address range reserved per thread; the kernel backs only the pages
// written, and a freed slot gives its pages back (MADV_DONTNEED) before it is reused.
// Everything else nghttp2 asks for goes to malloc. A connection idle for client_park also gives
// back the pages its frame buffer did use (Http2SessionPages::releaseIdlePages()).
//
// One instance per thread, made on first use and never destroyed: a session holds its
// allocator to the end, which may come after its thread has finished (a worker's connections
// are destroyed after its loop stops). Used by one thread at a time, like the sessions: no lock.
// ASan builds use malloc throughout, so the buffer keeps its bounds checks.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <vector>

namespace gatehouse::http {

class Http2SessionMemory {
 public:
  // Requests above this and up to kSlotBytes take a slot: the frame buffer
  // (NGHTTP2_FRAMEBUF_CHUNKLEN, 16,394 bytes in nghttp2 1.52) and its extra chunks for a large
  // header block.
  static constexpr size_t kMinSlotted = 12 * 1024;
  static constexpr size_t kSlotBytes = 20 * 1024;  // five pages
  // Address space reserved per thread (PROT_NONE until used; nothing is committed for it): room
  // for about 210,000 sessions at once per worker. Past it, slots come from malloc. It shows in
  // process_virtual_memory_bytes, never in RSS.
  static constexpr size_t kReservedBytes = size_t{4} << 30;
  // Slots are made usable this many at a time (mprotect).
  static constexpr size_t kCommitSlots = 64;

  // This thread's memory; nullptr (nghttp2 uses malloc) in ASan builds or if the address range
  // could not be reserved.
  static Http2SessionMemory* forThisThread();

  // What is in use, for tests: slots handed out and not yet freed.
  size_t slotsInUse() const { return handed_out_ - free_.size(); }
  bool owns(const void* p) const {
    return static_cast<const char*>(p) >= base_ && static_cast<const char*>(p) < base_ + reserved_;
  }
  static bool slotted(size_t size) { return size > kMinSlotted && size <= kSlotBytes; }

  void* allocate(size_t size);
  void release(void* p);
  void* reallocate(void* p, size_t size);

 private:
  Http2SessionMemory();
  void* takeSlot();

  char* base_ = nullptr;
  size_t reserved_ = 0;
  size_t committed_ = 0;   // bytes from base_ that are readable and writable
  size_t handed_out_ = 0;  // slots ever carved from the range (free or in use)
  std::vector<void*> free_;
};

// One session's allocator (nghttp2_session_server_new3): the thread's Http2SessionMemory, and
// which slot holds this session's frame buffer, so that an idle connection can give that
// buffer's pages back (releaseIdlePages()). Outlives its session.
class Http2SessionPages {
 public:
  Http2SessionPages();
  Http2SessionPages(const Http2SessionPages&) = delete;
  Http2SessionPages& operator=(const Http2SessionPages&) = delete;

  nghttp2_mem* allocator() { return memory_ ? &mem_ : nullptr; }
  // Drops the frame buffer's pages (they read as zeros when next written). Only while nghttp2
  // holds no frame in it: no stream open and nothing it wants to write.
  void releaseIdlePages();
  const void* frameBuffer() const { return frame_buffer_; }

 private:
  static void* onMalloc(size_t size, void* self);
  static void onFree(void* p, void* self);
  static void* onCalloc(size_t n, size_t size, void* self);
  static void* onRealloc(void* p, size_t size, void* self);
  void* allocate(size_t size);
  void release(void* p);

  Http2SessionMemory* memory_;
  nghttp2_mem mem_{};
  void* frame_buffer_ = nullptr;  // the session's first slot: its frame buffer
};

}  // namespace gatehouse::http
