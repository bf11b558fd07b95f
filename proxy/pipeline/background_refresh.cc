#include "proxy/pipeline/background_refresh.h"

#include "cache/object_builder.h"
#include "proxy/base/ascii.h"
#include "proxy/base/count.h"
#include "proxy/base/log.h"
#include "proxy/pipeline/cache_fill.h"
#include "proxy/upstream/response_interceptor.h"

namespace gatehouse::pipeline {
namespace {

// The client's own conditions and range are about its copy, not ours; its body framing is
// about a body the refresh does not send.
bool isClientOnly(std::string_view name) {
  return ascii::iequals(name, "range") || ascii::iequals(name, "if-range") ||
         ascii::iequals(name, "if-none-match") || ascii::iequals(name, "if-modified-since") ||
         ascii::iequals(name, "content-length") || ascii::iequals(name, "expect");
}

// The refresh's GET, copied from the request the stale copy was found for.
http::RequestHead refreshRequest(const http::RequestHead& request) {
  http::RequestHead copy;
  copy.method = "GET";
  copy.target = request.target;
  copy.authority = request.authority;
  copy.scheme = request.scheme;
  copy.version_minor = 1;
  for (const http::Header& h : request.headers)
    if (!isClientOnly(h.name)) copy.headers.add(h.name, h.value);
  return copy;
}

}  // namespace

// What a refresh and an orphaned fill have in common: an exchange of their own, whose downstream
// drops the response (it is the cache's business only), the fetch, the fill that stores what
// comes back, and telling the owner once when the exchange is over (done(): the owner then
// destroys the task after the current callback). The subclasses watch the response.
class BackgroundRefreshes::BackgroundFetch : public http::Downstream,
                                             protected upstream::ResponseInterceptor {
 protected:
  // `id_suffix` tells the access log and the backend's X-Request-Id whose fetch this is.
  BackgroundFetch(BackgroundRefreshes& owner, http::RequestHead request,
                  const http::Exchange& client, std::string_view id_suffix, std::string key,
                  std::shared_ptr<const CachePolicy> policy, CacheFill fill)
      : owner_(owner),
        exchange_(std::move(request), client.client(),
                  std::string(client.requestId()) + std::string(id_suffix), *this),
        key_(std::move(key)),
        policy_(std::move(policy)),
        fill_(std::move(fill)) {}

  // Tells the owner, once, that this task may go.
  void done() {
    if (done_) return;
    done_ = true;
    owner_.finished(this);
  }

  // http::Downstream: the response is the cache's business only.
  void sendHead(const http::ResponseHead&) override {}
  void sendBody(evbuffer* data) override { evbuffer_drain(data, evbuffer_get_length(data)); }
  void sendEnd() override { done(); }
  size_t pendingOutput() const override { return 0; }
  void pauseRequestBody() override {}
  void resumeRequestBody() override {}
  void abort() override { done(); }

  BackgroundRefreshes& owner_;
  http::Exchange exchange_;
  std::string key_;
  std::shared_ptr<const CachePolicy> policy_;
  CacheFill fill_;
  // Declared last, so destroyed first; the subclasses' destructors reset it before anything
  // else (it may still be running at a shutdown, and calls back into them).
  std::unique_ptr<upstream::Upstream> upstream_;

 private:
  bool done_ = false;
};

// One refresh: GET, conditional on the stale copy's validators. Done when the response has
// ended (or was consumed by a 304 merge); destroying it releases the key's beginRefresh().
class BackgroundRefreshes::Refresh final : public BackgroundFetch,
                                           public std::enable_shared_from_this<Refresh> {
 public:
  Refresh(BackgroundRefreshes& owner, const http::Exchange& client, std::string key,
          std::shared_ptr<const CachePolicy> policy, const routing::Route& route,
          upstream::UpstreamFactory make_upstream, std::shared_ptr<const cache::CachedObject> stale)
      : BackgroundFetch(owner, refreshRequest(client.request()), client, "-refresh", std::move(key),
                        policy, CacheFill(*policy, route)),
        make_upstream_(std::move(make_upstream)),
        stale_(std::move(stale)) {}

  ~Refresh() override {
    upstream_.reset();  // it may still be running (a shutdown)
    policy_->store->endRefresh(key_);
  }

  // Sends the request, conditional on the stale copy's validators while there is one.
  void fetch() {
    http::RequestHead& request = exchange_.request();
    fill_.begin(key_, request.headers);
    if (stale_) fill_.revalidate(request, *stale_);
    upstream_ = make_upstream_(exchange_, this);
    upstream_->start();
  }

 private:
  // upstream::ResponseInterceptor
  HeadAction onBackendHead(http::ResponseHead& head) override {
    fill_.responded();
    std::vector<std::string> tags = cache::takeTags(head.headers);
    if (stale_ && head.status == 304) return onNotModified(head);
    if (isServerError(head.status)) originFailed();
    fill_.startStoring(exchange_.request(), head, std::move(tags));
    return HeadAction::Forward;
  }
  void onBackendBody(const evbuffer* data) override {
    if (fill_.storing()) fill_.append(data);
  }
  void onBackendEnd() override {
    if (!fill_.storing() || !fill_.store())
      log::debug("cache: background refresh of {} stored nothing", key_);
  }
  void onBackendAbort() override { fill_.abandon(); }
  bool onBackendError(int) override {
    originFailed();
    return false;  // the error page goes to our downstream, which ends the refresh
  }

  HeadAction onNotModified(const http::ResponseHead& head) {
    if (namesAnotherRepresentation(head, *stale_)) {
      log::info("cache: 304 for {} names another representation; refetching", key_);
      stale_.reset();
      // After this callback: the fetch that got the 304 is still on the stack.
      owner_.loop_.post([weak = weak_from_this()] {
        if (auto self = weak.lock()) self->refetch();
      });
      return HeadAction::Consume;
    }
    fill_.mergeNotModified(*stale_, head);
    done();  // a consumed response does not end at our downstream
    return HeadAction::Consume;
  }

  void refetch() {
    upstream_.reset();
    fetch();
  }

  // The stale copy stays in service: clients keep getting it within grace, as stale-if-error.
  void originFailed() {
    count(policy_->store->counters().refresh_failures);
    policy_->store->setOriginFailing(key_, true);
  }

  upstream::UpstreamFactory make_upstream_;
  std::shared_ptr<const cache::CachedObject> stale_;  // null once refetching in full
};

// A fill whose client left: the fetch goes on with this exchange, and its body into the store
// through the fill, at the origin's pace (nothing reads behind it but the followers, who never
// slow it). The key's waiters are told at the end.
class BackgroundRefreshes::OrphanFill final : public BackgroundFetch {
 public:
  OrphanFill(BackgroundRefreshes& owner, const http::Exchange& client, std::string key,
             std::shared_ptr<const CachePolicy> policy, CacheFill fill)
      : BackgroundFetch(owner, client.request(), client, "-orphan", std::move(key),
                        std::move(policy), std::move(fill)) {
    // The head went out to the client: a failure from now on aborts, never an error page.
    http::ResponseHead head;
    head.status = client.record().status;
    exchange_.respondHead(head);
  }

  ~OrphanFill() override {
    upstream_.reset();  // it may still be running (a shutdown)
    finish(false);
  }

  void adopt(std::unique_ptr<upstream::Upstream> upstream) {
    upstream_ = std::move(upstream);
    count(policy_->store->counters().orphan_fills);
    upstream_->continueWithout(exchange_, this);  // may deliver body at once
  }

 private:
  void abort() override {
    finish(false);
    done();
  }

  // upstream::ResponseInterceptor: only the body is still to come.
  HeadAction onBackendHead(http::ResponseHead&) override { return HeadAction::Forward; }
  void onBackendBody(const evbuffer* data) override {
    if (fill_.storing() && !fill_.append(data)) finish(false);
  }
  void onBackendEnd() override { finish(fill_.storing() && fill_.store()); }
  void onBackendAbort() override { finish(false); }
  bool onBackendError(int) override {
    finish(false);
    return false;
  }

  // The waiters (those that came after the stream began follow it already) are told once.
  void finish(bool stored) {
    if (finished_) return;
    finished_ = true;
    if (!stored) fill_.abandon();
    policy_->store->finishFill(key_,
                               stored ? cache::FillOutcome::Stored : cache::FillOutcome::NotStored);
  }

  bool finished_ = false;
};

bool BackgroundRefreshes::continueFill(const http::Exchange& client, std::string key,
                                       std::shared_ptr<const CachePolicy> policy,
                                       std::unique_ptr<upstream::Upstream>& upstream,
                                       CacheFill& fill) {
  if (!upstream || !fill.storing() || !upstream->canContinueWithout()) return false;
  auto orphan = std::make_shared<OrphanFill>(*this, client, std::move(key), std::move(policy),
                                             std::move(fill));
  OrphanFill* raw = orphan.get();
  running_.emplace(static_cast<const BackgroundFetch*>(raw), std::move(orphan));
  raw->adopt(std::move(upstream));
  return true;
}

BackgroundRefreshes::~BackgroundRefreshes() {
  // Each refresh's destructor releases its key (endRefresh) and backend connection.
  running_.clear();
}

void BackgroundRefreshes::start(const http::Exchange& client, std::string key,
                                std::shared_ptr<const CachePolicy> policy,
                                const routing::Route& route,
                                upstream::UpstreamFactory make_upstream,
                                std::shared_ptr<const cache::CachedObject> stale) {
  auto refresh = std::make_shared<Refresh>(*this, client, std::move(key), std::move(policy), route,
                                           std::move(make_upstream), std::move(stale));
  Refresh* raw = refresh.get();
  running_.emplace(static_cast<const BackgroundFetch*>(raw), std::move(refresh));
  raw->fetch();
}

void BackgroundRefreshes::finished(const BackgroundFetch* task) {
  // Called from inside the task's own call stack: destroy it once that has unwound.
  auto it = running_.find(task);
  if (it == running_.end()) return;
  std::shared_ptr<const void> doomed(std::move(it->second));
  running_.erase(it);
  loop_.deferDelete(std::move(doomed));
}

}  // namespace gatehouse::pipeline
