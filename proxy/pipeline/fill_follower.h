#pragma once
// A coalesced miss that follows the fill it waited for (issue 15: coalesced misses stream):
// once the filler knows it stores the response, each waiter either answers its client from the
// fill's body as it arrives (serve), or, when it cannot take the response as it comes (a Range,
// a conditional request, another variant), waits for the fill's end and then looks up or fetches
// as before (awaitEnd).
//
// The fill never waits for a follower: each one reads the shared body (cache::FillStream) at its
// own client's pace (it stops above the exchange's high watermark and goes on when drained) and
// sends the bytes by reference, so a slow client costs no copy and slows no one. A fill that
// fails mid-body ends a follower's response as truncated: the exchange is aborted (the
// connection closed, the HTTP/2 stream reset), never ended as if complete. Counted either way.
//
// Loop thread only; the stream's news comes from the filler's thread and hops here by post(),
// one pending wake-up at a time however many chunks arrive meanwhile.

#include <atomic>
#include <functional>
#include <memory>

#include "cache/cache_counters.h"
#include "cache/cache_status.h"
#include "cache/fill_stream.h"
#include "proxy/http/exchange.h"
#include "proxy/net/event_loop.h"

namespace gatehouse::pipeline {

class FillFollower {
 public:
  FillFollower(http::Exchange& exchange, net::EventLoop& loop,
               std::shared_ptr<cache::FillStream> stream, cache::CacheCounters& counters);
  ~FillFollower();
  FillFollower(const FillFollower&) = delete;
  FillFollower& operator=(const FillFollower&) = delete;

  // Whether this exchange can be answered from the stream as it comes: a plain GET for the
  // variant being filled.
  static bool canServe(const http::RequestHead& request, const cache::FillStream& stream);
  // Sends the head now and the body as it arrives; the exchange is answered (or aborted) by
  // this follower from here on.
  void serve(int64_t now, cache::CacheStatus status, bool replay_early_hints);
  // Calls `ended(complete)` on this loop once the fill has ended.
  void awaitEnd(std::function<void(bool complete)> ended);
  const cache::FillStream& stream() const { return *stream_; }
  // The client took what was queued: send more.
  void onDownstreamDrained() { pump(); }

 private:
  struct Token {
    FillFollower* follower;
  };
  void subscribe();
  void onNews();
  void pump();
  void stop();

  http::Exchange& exchange_;
  net::EventLoop& loop_;
  std::shared_ptr<cache::FillStream> stream_;
  cache::CacheCounters& counters_;
  std::shared_ptr<Token> token_;
  uint64_t subscription_ = 0;
  bool serving_ = false;
  bool done_ = false;
  uint64_t sent_ = 0;
  std::function<void(bool)> ended_;
};

}  // namespace gatehouse::pipeline
