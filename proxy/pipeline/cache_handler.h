#pragma once
// The cache in front of a route (DESIGN.md: route -> gate -> handler), for client exchanges.
// For each exchange:
//
//   unsafe method ----------------------------------------> upstream; a success invalidates
//                                                            (as the route's invalidate_on_unsafe
//                                                            says)
//   not GET/HEAD, a body, not anonymous, Range/HEAD miss --> upstream (pass; a HEAD's answer
//                                                            freshens or invalidates the stale
//                                                            GET response, RFC 9111 §4.3.5)
//   lookup: fresh ------------------------------------------> serve from memory       (hit)
//           stale within stale-while-revalidate (the origin's
//           or `grace`), or within stale-if-error while the
//           origin is failing ------------------------------> serve now + background refresh
//           stale with validators --------------------------> conditional fill (revalidate)
//           none -> first for the key ---------------------> fill: stream to the client and tee
//                    others ------------------------------> wait for the fill (coalesced): once
//                                                            it stores, follow its body as it
//                                                            arrives (FillFollower); else fetch
//                                                            alone
//   fill fails (no server, 5xx, timeout) with a stale copy within stale-if-error -> serve it
//
// The handler wraps an upstream::Upstream and watches its response as a ResponseInterceptor;
// CacheFill tees the response into the store. The background refresh of a stale hit is not
// this class's business: BackgroundRefreshes runs it without a client.
//
// Two files: cache_handler.cc decides (lookup, hit, stale in grace, wait for another's fill,
// fill or pass: the phases); cache_handler_fetch.cc fetches (the upstream, the request body
// forwarded to it, and the response as it comes back: store, 304, stale-if-error, invalidate).

#include <memory>
#include <string>

#include "cache/cache_status.h"
#include "cache/cached_object.h"
#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/timer.h"
#include "proxy/pipeline/cache_fill.h"
#include "proxy/pipeline/cache_policy.h"
#include "proxy/pipeline/fill_follower.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/response_interceptor.h"
#include "proxy/upstream/upstream.h"

namespace gatehouse::pipeline {

class BackgroundRefreshes;

class CacheHandler final : public http::Handler, private upstream::ResponseInterceptor {
 public:
  // `make_upstream` makes the fetch for this exchange (and for background refreshes it starts).
  CacheHandler(http::Exchange& exchange, std::shared_ptr<const CachePolicy> policy,
               const routing::Route& route, net::EventLoop& loop,
               upstream::UpstreamFactory make_upstream, BackgroundRefreshes& refreshes);
  ~CacheHandler() override;

  void start();

  // Answers a fresh hit before any handler exists (most requests of a cached site): no
  // CacheHandler, upstream factory or fetch state is built for it. False for anything else,
  // which then goes through a CacheHandler (and is looked up again there).
  static bool serveFreshHit(http::Exchange& exchange, const CachePolicy& policy);

  // http::Handler: forwarded to the upstream fetch, when there is one.
  void onRequestBody(evbuffer* data) override;
  void onRequestEnd() override;
  void onDownstreamDrained() override;
  void onDownstreamReset() override;

 private:
  // Where the exchange is. become() is the one place the phase changes, and it does what
  // leaving a phase owes: a Waiting exchange leaves the key's waiting list, a Filling one tells
  // the waiters how the fill ended (they wait for nothing else).
  //
  //   Deciding --hit, stale in grace, only-if-cached miss-------------------------> Answered
  //     |-------pass, invalidate, hit-for-pass, HEAD/Range miss--> Fetching
  //     |-------first miss for the key--> Filling --not storable, stored, given up--> Fetching
  //     |                                    +----304, stale-if-error (waiters told)--> Answered
  //     +-------another fill runs-------> Waiting --that fill stores it: served as it comes-->
  //     Following
  //                                          |----that fill stored it (awaited: Range...)---->
  //                                          Answered
  //                                          +----not stored, timed out-------------> Fetching
  //   Fetching --304, stale-if-error--> Answered
  //   Filling --client gone while the response is being stored--> Done (the fill goes on
  //            without it, BackgroundRefreshes::continueFill: its followers keep receiving)
  //   any --client gone, handler destroyed--> Done
  enum class Phase { Deciding, Waiting, Following, Filling, Fetching, Answered, Done };
  // `fill_outcome`: what the waiters are told when this leaves Filling.
  void become(Phase next, cache::FillOutcome fill_outcome = cache::FillOutcome::NotStored);

  // upstream::ResponseInterceptor
  HeadAction onBackendHead(http::ResponseHead& head) override;
  void onBackendInterim(const http::ResponseHead& head) override;
  void onBackendBody(const evbuffer* data) override;
  void onBackendEnd() override;
  void onBackendAbort() override;
  bool onBackendError(int status) override;

  // What the fetch does with the response, besides sending it to the client.
  enum class Fetch {
    Pass,           // nothing
    Invalidate,     // an unsafe method's success purges the URL
    Fill,           // stored when it may be (revalidating `stale_` when there is one)
    FreshenByHead,  // a HEAD passed: its answer updates or invalidates `stale_` (§4.3.5)
  };
  void lookupAndServe();
  // Whether `found`, stale, is served at once (status and counters set when so).
  bool mayServeStaleNow(const cache::CachedObject& found, int64_t now);
  void serve(std::shared_ptr<const cache::CachedObject> object, cache::CacheStatus status);
  void forward(Fetch fetch);
  void waitForFill();
  void onFillDone(cache::FillOutcome outcome, std::shared_ptr<cache::FillStream> stream);
  void onWaitTimeout();
  // Filling -> Fetching with `outcome`; nothing in any other phase.
  void finishFill(cache::FillOutcome outcome);
  bool serveStaleOnError(int status);
  // The route's invalidate_on_unsafe allows this request's success to invalidate.
  bool mayInvalidate() const;
  void invalidateAfterUnsafe(const http::ResponseHead& head);
  HeadAction onNotModified(const http::ResponseHead& head);
  void refetch();

  // What the client connected with, never what it claims (:scheme, an absolute-form target): a
  // plaintext request must not fill what TLS clients are served, and purges of https:// URLs
  // must find what HTTPS clients got.
  static std::string_view schemeOf(const http::Exchange& exchange) {
    return exchange.client().tls ? "https" : "http";
  }

  http::Exchange& exchange_;
  std::shared_ptr<const CachePolicy> policy_;
  const routing::Route& route_;
  net::EventLoop& loop_;
  upstream::UpstreamFactory make_upstream_;
  BackgroundRefreshes& refreshes_;
  std::unique_ptr<upstream::Upstream> upstream_;
  cache::CacheStore& store_;

  Phase phase_ = Phase::Deciding;
  std::string key_;
  Fetch fetch_ = Fetch::Pass;
  cache::CacheStatus status_;
  // Found stale (outside grace): the fill revalidates it, and serves it if the origin fails.
  std::shared_ptr<const cache::CachedObject> stale_;
  CacheFill fill_;
  http::HeaderMap client_conditions_;  // the client's If-None-Match/-Modified-Since during a fill
  bool request_ended_ = false;         // the client's request ended (told to each fetch)
  bool session_ = false;  // an unsafe request carried a session (Authorization, a kept Cookie)

  // Whether this handler still exists, for tasks posted to its loop (a wake-up from another
  // worker, a refetch after this callback).
  struct AliveToken {
    CacheHandler* handler;
  };
  std::shared_ptr<AliveToken> aliveToken();
  std::shared_ptr<AliveToken> alive_;
  uint64_t waiter_id_ = 0;  // while Waiting and still on the key's list
  std::unique_ptr<net::Timer> wait_timer_;
  std::unique_ptr<FillFollower> follower_;  // following another's fill (Waiting, Following)
};

}  // namespace gatehouse::pipeline
