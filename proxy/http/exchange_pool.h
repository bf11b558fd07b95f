#pragma once
// Finished HTTP/1.1 exchanges, kept by each worker thread for the next request of any of its
// connections: an exchange comes back with the room its request head's strings and fields
// grew to, so the next head is written over it in place (http1_request_head.h) without an
// allocation, and its handler's and record's state is cleared by Exchange::restart().
//
// Per thread rather than per connection: a connection idle between requests holds no exchange
// (a spare per connection cost ~160 bytes of RSS per idle connection, bench/idle_conns.py),
// and the pool stays at a few dozen exchanges whatever the number of connections.
//
// An exchange comes back only once the callback that finished it has returned (through
// EventLoop::deferRelease): its handler, several frames up, may still look at it until then.

#include <memory>

#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"

namespace gatehouse::http {

class ExchangePool {
 public:
  // How many exchanges a thread keeps, and the most heap one may hold to be kept
  // (Exchange::retainedBytes(): its strings' and lists' room, which a request with a long field
  // leaves behind): at most 64 x 8 KiB per worker, whatever the requests were.
  static constexpr size_t kKeep = 64;
  static constexpr size_t kKeepBytes = 8192;

  // A kept exchange of this thread, or a new one; either way restart() it for its request.
  static std::unique_ptr<Exchange> take(const ClientInfo& client, Downstream& downstream);
  // Hands `exchange` back after the current callback of `loop` (this thread's loop).
  static void giveBack(net::EventLoop& loop, std::unique_ptr<Exchange> exchange);
  // How many this thread keeps now (for tests).
  static size_t keptOnThisThread();
};

}  // namespace gatehouse::http
