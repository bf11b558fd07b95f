#pragma once
// What a handler in front of a backend (the cache) needs of the fetch that serves an exchange:
// an http::Handler for the client's side, plus start(). UpstreamHandler is the real one (pool,
// balancer, backend connections); tests script one (tests/support/fake_upstream.h).
//
// The contract an implementation keeps with its ResponseInterceptor (response_interceptor.h):
// after start(), the response goes to the interceptor first and then, unless it took over, to
// the exchange; errors without a head are offered to onBackendError() before the error page.

#include <functional>
#include <memory>

#include "proxy/http/exchange.h"
#include "proxy/upstream/response_interceptor.h"

namespace gatehouse::upstream {

class Upstream : public http::Handler {
 public:
  // Sends the exchange's request on its way; the response may come back from inside.
  virtual void start() = 0;
};

// Makes the Upstream that fetches for `exchange`, its response watched by `interceptor` (may be
// null; outlives the Upstream).
using UpstreamFactory =
    std::function<std::unique_ptr<Upstream>(http::Exchange& exchange, ResponseInterceptor*)>;

}  // namespace gatehouse::upstream
