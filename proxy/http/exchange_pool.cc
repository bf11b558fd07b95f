#include "proxy/http/exchange_pool.h"

#include <vector>

#include "proxy/base/asan.h"

namespace gatehouse::http {
namespace {

// The thread's kept exchanges. Under AddressSanitizer each is poisoned while kept, so that a
// use of a finished exchange before it is reused is still reported (its own strings' heap is
// not: they are live allocations).
struct Kept {
  std::vector<std::unique_ptr<Exchange>> list;
  ~Kept();
};

// Set once the thread's list is destroyed (thread exit): a late release deletes, a take makes a
// new one. Trivially destructible, so it can still be read after the list is gone.
thread_local bool kept_gone = false;

Kept& kept() {
  thread_local Kept kept;
  return kept;
}

Kept::~Kept() {
  kept_gone = true;
  for (auto& e : list)
    asanUnpoison(e.get(), sizeof(Exchange));
}

// Runs in the loop's reap, after the callback that finished the exchange.
void keep(void* p) {
  std::unique_ptr<Exchange> exchange(static_cast<Exchange*>(p));
  if (kept_gone) return;
  auto& list = kept().list;
  if (list.size() >= ExchangePool::kKeep || exchange->retainedBytes() > ExchangePool::kKeepBytes)
    return;  // deleted here
  if (list.capacity() == 0) list.reserve(ExchangePool::kKeep);
  asanPoison(exchange.get(), sizeof(Exchange));
  list.push_back(std::move(exchange));
}

}  // namespace

std::unique_ptr<Exchange> ExchangePool::take(const ClientInfo& client, Downstream& downstream) {
  if (kept_gone || kept().list.empty()) return std::make_unique<Exchange>(client, downstream);
  auto& list = kept().list;
  std::unique_ptr<Exchange> exchange = std::move(list.back());
  list.pop_back();
  asanUnpoison(exchange.get(), sizeof(Exchange));
  return exchange;
}

void ExchangePool::giveBack(net::EventLoop& loop, std::unique_ptr<Exchange> exchange) {
  if (exchange) loop.deferRelease(exchange.release(), &keep);
}

size_t ExchangePool::keptOnThisThread() {
  return kept_gone ? 0 : kept().list.size();
}

}  // namespace gatehouse::http
