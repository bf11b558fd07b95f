#pragma once
// Counts every allocation libevent makes against limits.memory (base/memory_budget.h): the
// chunks of every evbuffer (client and backend connections, HTTP/2 stream buffers, file data
// read for TLS), the events and the buffers' bookkeeping. libevent allocates through the
// functions given to event_set_mem_functions(); these wrap malloc, realloc and free and charge
// the usable size of each block (malloc_usable_size), except a block freed soon after it was
// allocated on the same thread, which is never charged (libevent_memory.cc: RecentBlocks).

#include <cstddef>

namespace gatehouse::net {

// Installs the counting functions. Call once, before any other libevent call (they must free
// what they allocated): `gatehouse run` does, first thing. Without it nothing is counted.
void countLibeventMemory();

// The functions themselves, for tests.
void* countedMalloc(size_t size);
void* countedRealloc(void* block, size_t size);
void countedFree(void* block);

}  // namespace gatehouse::net
