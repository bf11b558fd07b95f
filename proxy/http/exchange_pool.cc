#include "proxy/http/exchange_pool.h"

#include <vector>

namespace gatehouse::http {
namespace {

std::vector<std::unique_ptr<Exchange>>& keptExchanges() {
  thread_local std::vector<std::unique_ptr<Exchange>> kept;
  return kept;
}

size_t headBytes(const RequestHead& head) {
  size_t bytes = head.target.size() + head.authority.size() + head.forwarding.size();
  for (const Header& h : head.headers)
    bytes += h.name.size() + h.value.size();
  return bytes;
}

// Runs in the loop's reap, after the callback that finished the exchange.
void keep(void* p) {
  std::unique_ptr<Exchange> exchange(static_cast<Exchange*>(p));
  auto& kept = keptExchanges();
  if (kept.size() >= ExchangePool::kKeep ||
      headBytes(exchange->request()) > ExchangePool::kKeepHeadBytes)
    return;  // deleted here
  if (kept.capacity() == 0) kept.reserve(ExchangePool::kKeep);
  kept.push_back(std::move(exchange));
}

}  // namespace

std::unique_ptr<Exchange> ExchangePool::take(const ClientInfo& client, Downstream& downstream) {
  auto& kept = keptExchanges();
  if (kept.empty()) return std::make_unique<Exchange>(client, downstream);
  std::unique_ptr<Exchange> exchange = std::move(kept.back());
  kept.pop_back();
  return exchange;
}

void ExchangePool::giveBack(net::EventLoop& loop, std::unique_ptr<Exchange> exchange) {
  if (exchange) loop.deferRelease(exchange.release(), &keep);
}

size_t ExchangePool::keptOnThisThread() {
  return keptExchanges().size();
}

}  // namespace gatehouse::http
