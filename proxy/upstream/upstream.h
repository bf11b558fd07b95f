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
  // Whether the fetch could go on without its client (continueWithout): its response streams,
  // the head forwarded and the body still coming. False by default.
  virtual bool canContinueWithout() const { return false; }
  // The client left: carry on with `replacement` as the exchange and `interceptor` as the
  // watcher, so that the cache's fill completes without the client (issue 15). Only when
  // canContinueWithout().
  virtual void continueWithout(http::Exchange& /*replacement*/,
                               ResponseInterceptor* /*interceptor*/) {}
};

// Makes the Upstream that fetches for `exchange`, its response watched by `interceptor` (may be
// null; outlives the Upstream).
using UpstreamFactory =
    std::function<std::unique_ptr<Upstream>(http::Exchange& exchange, ResponseInterceptor*)>;

}  // namespace gatehouse::upstream
