#pragma once
// A scripted origin for unit tests of what sits in front of an upstream (the cache, the
// pipeline), with no socket and no pool. Every fetch made through FakeOrigin's factory is a
// FakeUpstream: it records the request as it was when start() sent it, and answers only on the
// test's command, a head, body chunks and the end, or an error without a head, or an abort
// after it. It calls the upstream::ResponseInterceptor and the exchange in the order and with
// the rules UpstreamHandler keeps (proxy/upstream/response_interceptor.h):
//   head:  the interceptor sees it first; unless it took over (Consume), it goes to the client;
//   body:  the interceptor reads each chunk, then the client gets it (dropped once consumed);
//   end:   onBackendEnd, then the client's end (nothing once consumed);
//   fail:  no head yet: onBackendError may answer instead, else the error page goes out;
//   abort: after the head: onBackendAbort, then the client's response is cut short.
// A fetch is owned by whoever made it; FakeOrigin keeps every fetch made, in order, and forgets
// (nulls) each one as it is destroyed.

#include <event2/buffer.h>

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http/exchange.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/response_interceptor.h"
#include "proxy/upstream/upstream.h"

namespace gatehouse::testing {

class FakeOrigin;

class FakeUpstream final : public upstream::Upstream {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  FakeUpstream(FakeOrigin& origin, size_t index, http::Exchange& exchange,
               upstream::ResponseInterceptor* interceptor, const routing::Route* route)
      : origin_(origin),
        index_(index),
        exchange_(exchange),
        interceptor_(interceptor),
        route_(route) {}
  ~FakeUpstream() override;

  // upstream::Upstream
  void start() override {
    started_ = true;
    request_ = exchange_.request();
  }
  void onRequestBody(evbuffer* data) override {
    const size_t n = evbuffer_get_length(data);
    request_body_.append(reinterpret_cast<const char*>(evbuffer_pullup(data, -1)), n);
    evbuffer_drain(data, n);
  }
  void onRequestEnd() override { request_ended_ = true; }
  void onDownstreamDrained() override {}
  void onDownstreamReset() override {
    if (interceptor_ && !done_ && !consumed_ && exchange_.headSent())
      interceptor_->onBackendAbort();
    done_ = true;
  }

  // --- the test's commands (each may end with this fetch destroyed: touch nothing after) -----

  void respondHead(http::ResponseHead head) {
    if (interceptor_ && head.status != 101 &&
        interceptor_->onBackendHead(head) == upstream::ResponseInterceptor::HeadAction::Consume) {
      consumed_ = true;
      return;
    }
    exchange_.respondHead(head);
  }
  void respondBody(std::string_view bytes) {
    if (consumed_) return;
    net::EvbufferPtr chunk = net::makeEvbuffer();
    evbuffer_add(chunk.get(), bytes.data(), bytes.size());
    if (interceptor_) interceptor_->onBackendBody(chunk.get());
    exchange_.respondBody(chunk.get());
  }
  void respondEnd() {
    done_ = true;
    if (consumed_) return;
    if (interceptor_) interceptor_->onBackendEnd();
    exchange_.respondEnd();
  }
  // A whole response: head (with Content-Length), body and end.
  void respond(int status, const Fields& fields = {}, std::string_view body = "") {
    http::ResponseHead head;
    head.status = status;
    for (const auto& [name, value] : fields)
      head.headers.add(name, value);
    head.has_body = status != 304 && status != 204;
    if (head.has_body) head.content_length = body.size();
    respondHead(std::move(head));
    if (!body.empty()) respondBody(body);
    respondEnd();
  }
  // No response at all (refused, timed out, no server): 502, 503 or 504 as the real one says.
  void fail(int status) {
    done_ = true;
    if (interceptor_ && !consumed_ && !exchange_.headSent() && interceptor_->onBackendError(status))
      return;
    exchange_.respondError(status, "The fake backend failed.");
  }
  // The response is cut short after its head.
  void abort() {
    done_ = true;
    if (interceptor_ && !consumed_) interceptor_->onBackendAbort();
    if (consumed_) return;
    exchange_.abort();
  }

  // --- what the test reads -------------------------------------------------------------------

  bool started() const { return started_; }
  // The request as start() found it (validators and all).
  const http::RequestHead& request() const { return request_; }
  const std::string& requestBody() const { return request_body_; }
  bool requestEnded() const { return request_ended_; }
  // Whether the response is being watched (a cache in front).
  bool watched() const { return interceptor_ != nullptr; }
  // The route it was made for (Pipeline's maker), else null.
  const routing::Route* route() const { return route_; }
  bool consumed() const { return consumed_; }  // the interceptor took over at the head
  bool done() const { return done_; }

 private:
  FakeOrigin& origin_;
  size_t index_;
  http::Exchange& exchange_;
  upstream::ResponseInterceptor* interceptor_;
  const routing::Route* route_;
  http::RequestHead request_;
  std::string request_body_;
  bool started_ = false;
  bool request_ended_ = false;
  bool consumed_ = false;
  bool done_ = false;
};

class FakeOrigin {
 public:
  // For a CacheHandler (or anything taking an upstream::UpstreamFactory).
  upstream::UpstreamFactory factory() {
    return [this](http::Exchange& exchange, upstream::ResponseInterceptor* interceptor) {
      return make(exchange, interceptor, nullptr);
    };
  }
  // For Pipeline::setUpstreamMaker: the same, remembering the route.
  auto maker() {
    return [this](http::Exchange& exchange, const routing::Route& route,
                  upstream::ResponseInterceptor* interceptor) {
      return make(exchange, interceptor, &route);
    };
  }

  // Fetches made so far, destroyed ones included.
  size_t made() const { return fetches_.size(); }
  // The i-th fetch made, which must still exist.
  FakeUpstream& fetch(size_t i) {
    assert(i < fetches_.size() && fetches_[i]);
    return *fetches_[i];
  }
  FakeUpstream& last() { return fetch(fetches_.size() - 1); }
  bool alive(size_t i) const { return i < fetches_.size() && fetches_[i] != nullptr; }

 private:
  friend class FakeUpstream;
  std::unique_ptr<upstream::Upstream> make(http::Exchange& exchange,
                                           upstream::ResponseInterceptor* interceptor,
                                           const routing::Route* route) {
    auto fetch =
        std::make_unique<FakeUpstream>(*this, fetches_.size(), exchange, interceptor, route);
    fetches_.push_back(fetch.get());
    return fetch;
  }
  std::vector<FakeUpstream*> fetches_;
};

inline FakeUpstream::~FakeUpstream() {
  origin_.fetches_[index_] = nullptr;
}

}  // namespace gatehouse::testing
