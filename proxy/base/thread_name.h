#pragma once
// Names the calling thread as `top -H`, `ps -L`, gdb and /proc/PID/task/*/comm show it, so an
// operator can tell the worker that spins from the main loop (and a test can find a worker).

#include <pthread.h>

#include <string>

namespace gatehouse {

// Linux keeps 15 bytes of a thread's name; a longer one is cut there.
inline void nameThisThread(std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace gatehouse
