#pragma once
// Memory for objects made and destroyed once per request on a worker thread (a request's
// UpstreamHandler): a class `T final : ..., public Recycled<T>` keeps up to kKeep freed blocks
// of its size in a list of its thread and takes one back before asking the allocator. Only the
// memory is reused: every object still runs its constructor and destructor, so nothing of one
// request's state reaches the next. A block freed on another thread than it was made on (a
// worker torn down from the main thread) simply joins that thread's list.
//
// Under AddressSanitizer the kept blocks are poisoned, so a use after free is still reported.

#include <cstddef>
#include <new>

#include "proxy/base/asan.h"

namespace gatehouse {

template <typename T, size_t kKeep = 64>
class Recycled {
 public:
  static void* operator new(size_t size) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "blocks come from operator new");
    if (size == sizeof(T) && !listGone()) {
      if (void* block = freeList().take()) return block;
    }
    return ::operator new(size);
  }
  static void operator delete(void* block, size_t size) {
    if (size == sizeof(T) && !listGone() && freeList().put(block)) return;
    // Unsized: clang enables sized deallocation only with -fsized-deallocation.
    ::operator delete(block);
  }

  // Gives this thread's kept blocks back to the allocator (tests start from none).
  static void freeKeptOnThisThread() {
    if (!listGone()) freeList().freeAll();
  }
  // How many freed blocks this thread keeps now (for tests).
  static size_t keptOnThisThread() { return listGone() ? 0 : freeList().count; }

 private:
  struct FreeList {
    void* blocks[kKeep];
    size_t count = 0;
    void* take() {
      if (count == 0) return nullptr;
      void* block = blocks[--count];
      asanUnpoison(block, sizeof(T));
      return block;
    }
    bool put(void* block) {
      if (count == kKeep) return false;
      asanPoison(block, sizeof(T));
      blocks[count++] = block;
      return true;
    }
    void freeAll() {
      while (void* block = take())
        ::operator delete(block);
    }
    ~FreeList() {
      listGone() = true;
      freeAll();
    }
  };
  static FreeList& freeList() {
    thread_local FreeList list;
    return list;
  }
  // Set once the thread's list is destroyed (at thread exit): blocks then go straight to the
  // allocator. Trivially destructible, so it can still be read after the list is gone.
  static bool& listGone() {
    thread_local bool gone = false;
    return gone;
  }
};

}  // namespace gatehouse
