#include "proxy/pipeline/fill_follower.h"

#include "cache/cache_key.h"
#include "proxy/net/evbuffer_reference.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/pipeline/cached_response_writer.h"

namespace gatehouse::pipeline {

FillFollower::FillFollower(http::Exchange& exchange, net::EventLoop& loop,
                           std::shared_ptr<cache::FillStream> stream,
                           cache::CacheCounters& counters)
    : exchange_(exchange),
      loop_(loop),
      stream_(std::move(stream)),
      counters_(counters),
      token_(std::make_shared<Token>(Token{this})) {}

FillFollower::~FillFollower() {
  token_->follower = nullptr;
  stop();
}

bool FillFollower::canServe(const http::RequestHead& request, const cache::FillStream& stream) {
  const cache::CachedObject& head = stream.head();
  return request.method == "GET" && !request.headers.has("range") &&
         !request.headers.has("if-none-match") && !request.headers.has("if-modified-since") &&
         cache::varyKey(head.varyFieldList(), request.headers) == head.varyKey();
}

void FillFollower::serve(int64_t now, cache::CacheStatus status, bool replay_early_hints) {
  serving_ = true;
  if (replay_early_hints) replayEarlyHints(exchange_, stream_->head());
  respondFollowedHead(exchange_, stream_->head(), stream_->contentLength(), now, status);
  subscribe();
  pump();  // what arrived before this follower woke
}

void FillFollower::awaitEnd(std::function<void(bool complete)> ended) {
  ended_ = std::move(ended);
  subscribe();
}

void FillFollower::subscribe() {
  // Runs on the filler's thread: at most one wake-up queued here at a time.
  auto pending = std::make_shared<std::atomic<bool>>(false);
  std::weak_ptr<Token> weak = token_;
  net::EventLoop* loop = &loop_;
  subscription_ = stream_->subscribe([weak, loop, pending] {
    if (pending->exchange(true)) return;
    loop->post([weak, pending] {
      pending->store(false);
      if (auto token = weak.lock(); token && token->follower) token->follower->onNews();
    });
  });
}

void FillFollower::stop() {
  if (subscription_ != 0) stream_->unsubscribe(subscription_);
  subscription_ = 0;
  done_ = true;
}

void FillFollower::onNews() {
  if (done_) return;
  if (serving_) {
    pump();
    return;
  }
  const cache::FillStream::State state = stream_->view().state;
  if (state == cache::FillStream::State::Open) return;
  stop();
  // Last: the callback may end this follower's handler.
  ended_(state == cache::FillStream::State::Complete);
}

void FillFollower::pump() {
  if (done_ || !serving_) return;
  const cache::FillStream::View v = stream_->view();
  if (v.state == cache::FillStream::State::Failed) {
    stop();
    counters_.coalesced_truncated.fetch_add(1, std::memory_order_relaxed);
    exchange_.abort();  // last: may end this follower
    return;
  }
  if (v.length > sent_ && !exchange_.downstreamFull()) {
    net::EvbufferPtr buf = net::makeEvbuffer();
    if (!net::addSharedReference(buf.get(), std::string_view(v.data + sent_, v.length - sent_),
                                 v.owner)) {
      stop();
      exchange_.abort();
      return;
    }
    sent_ = v.length;
    exchange_.respondBody(buf.get());
  }
  if (v.state == cache::FillStream::State::Complete && sent_ == v.length) {
    stop();
    counters_.coalesced_streamed.fetch_add(1, std::memory_order_relaxed);
    exchange_.respondEnd();  // last: may end this follower
  }
}

}  // namespace gatehouse::pipeline
