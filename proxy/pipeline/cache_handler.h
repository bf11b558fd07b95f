#pragma once
// The cache in front of a route (DESIGN.md: route -> gate -> handler). For each exchange:
//
//   unsafe method ----------------------------------------> upstream; a success invalidates
//   not GET/HEAD, not anonymous, Range miss, HEAD miss ---> upstream (pass)
//   lookup: fresh ------------------------------------------> serve from memory       (hit)
//           stale within grace ----------------------------> serve now + background refresh
//           stale with validators --------------------------> conditional fill (revalidate)
//           none -> first for the key ---------------------> fill: stream to the client and tee
//                    others ------------------------------> wait for the fill (coalesced),
//                                                            then serve it, or fetch alone
//   fill fails (no server, 5xx, timeout) with a stale copy in grace -> serve it (stale-if-error)
//
// The handler wraps an UpstreamHandler and watches its response as a ResponseInterceptor.

#include <memory>
#include <string>

#include "cache/cache_status.h"
#include "cache/cached_object.h"
#include "cache/freshness.h"
#include "cache/object_builder.h"
#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/timer.h"
#include "proxy/pipeline/cache_policy.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/response_interceptor.h"
#include "proxy/upstream/upstream_handler.h"

namespace gatehouse::pipeline {

class BackgroundRefreshes;

class CacheHandler final : public http::Handler, private upstream::ResponseInterceptor {
 public:
  // Makes the UpstreamHandler that fetches for this exchange, watched by `interceptor`.
  using UpstreamFactory = std::function<std::unique_ptr<upstream::UpstreamHandler>(
      http::Exchange&, upstream::ResponseInterceptor*)>;

  enum class Mode {
    Client,   // an ordinary client exchange
    Refresh,  // a background refresh (no client): revalidate or refetch `stale`, then store
  };

  CacheHandler(http::Exchange& exchange, std::shared_ptr<const CachePolicy> policy,
               const routing::Route& route, net::EventLoop& loop, UpstreamFactory make_upstream,
               BackgroundRefreshes& refreshes, Mode mode = Mode::Client,
               std::shared_ptr<const cache::CachedObject> stale = nullptr);
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
  // upstream::ResponseInterceptor
  HeadAction onBackendHead(http::ResponseHead& head) override;
  void onBackendBody(const evbuffer* data) override;
  void onBackendEnd() override;
  void onBackendAbort() override;
  bool onBackendError(int status) override;

  enum class Fetch { Pass, Invalidate, Fill };
  void lookupAndServe();
  void serve(std::shared_ptr<const cache::CachedObject> object, cache::CacheStatus status);
  void forward(Fetch fetch);
  void startFill();
  void waitForFill();
  void onFillDone(cache::FillOutcome outcome);
  void finishFill(cache::FillOutcome outcome);
  void startBackgroundRefresh(std::shared_ptr<const cache::CachedObject> stale);
  bool serveStaleOnError(int status);
  void invalidateAfterUnsafe(const http::ResponseHead& head);
  void startStoring(http::ResponseHead& head, std::vector<std::string> tags);
  HeadAction onNotModified(const http::ResponseHead& head);
  void refetch();
  void markHitForPass();
  void storeFilled();
  void abandonStore();
  cache::FreshnessPolicy freshnessPolicy() const;

  http::Exchange& exchange_;
  std::shared_ptr<const CachePolicy> policy_;
  const routing::Route& route_;
  net::EventLoop& loop_;
  UpstreamFactory make_upstream_;
  BackgroundRefreshes& refreshes_;
  Mode mode_;
  std::unique_ptr<upstream::UpstreamHandler> upstream_;
  cache::CacheStore& store_;

  std::string key_;
  Fetch fetch_ = Fetch::Pass;
  cache::CacheStatus status_;
  std::shared_ptr<const cache::CachedObject>
      stale_;                // found stale: revalidated, or served on error
  bool filler_ = false;      // this exchange must call finishFill() once
  bool refreshing_ = false;  // this refresh holds the key's beginRefresh()
  uint64_t epoch_ = 0;       // the store's epoch when the fetch started
  cache::FetchTiming timing_;
  http::HeaderMap client_conditions_;  // the client's If-None-Match/-Modified-Since during a fill

  // The response being stored while it streams; null once given up.
  std::shared_ptr<cache::CachedObject> filling_;
  cache::Body body_;

  // Waiting on another exchange's fill: the token lets a wake-up posted from another thread
  // find out whether this handler still exists.
  // Whether this handler still exists, for tasks posted to its loop (a wake-up from another
  // worker, a refetch after this callback).
  struct AliveToken {
    CacheHandler* handler;
  };
  std::shared_ptr<AliveToken> aliveToken();
  void stopWaiting();
  std::shared_ptr<AliveToken> alive_;
  uint64_t waiter_id_ = 0;  // while waiting on another's fill
  std::unique_ptr<net::Timer> wait_timer_;
  http::HeaderMap lookup_headers_;  // the request as looked up, for the Vary key of a fill
  bool request_ended_ = false;      // the client's request ended before the fetch began
};

}  // namespace gatehouse::pipeline
