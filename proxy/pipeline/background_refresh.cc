#include "proxy/pipeline/background_refresh.h"

#include "proxy/base/ascii.h"

namespace gatehouse::pipeline {

// The exchange of one refresh and the downstream that drops its response.
class BackgroundRefreshes::Refresh final : public http::Downstream {
 public:
  Refresh(BackgroundRefreshes& owner, http::RequestHead request, const http::ClientInfo& client,
          std::string request_id)
      : owner_(owner), exchange_(std::move(request), client, std::move(request_id), *this) {}
  ~Refresh() override { exchange_.setHandler(nullptr); }

  http::Exchange& exchange() { return exchange_; }

  // http::Downstream: the response is the cache's business only.
  void sendHead(const http::ResponseHead&) override {}
  void sendBody(evbuffer* data) override { evbuffer_drain(data, evbuffer_get_length(data)); }
  void sendEnd() override { done(); }
  size_t pendingOutput() const override { return 0; }
  void pauseRequestBody() override {}
  void resumeRequestBody() override {}
  void abort() override { done(); }

 private:
  void done() {
    if (done_) return;
    done_ = true;
    owner_.finished(this);
  }

  BackgroundRefreshes& owner_;
  http::Exchange exchange_;
  bool done_ = false;
};

BackgroundRefreshes::~BackgroundRefreshes() {
  // The handlers' destructors release their keys (endRefresh) and backend connections.
  running_.clear();
}

void BackgroundRefreshes::start(const http::RequestHead& request, const http::ClientInfo& client,
                                std::string request_id, std::shared_ptr<const CachePolicy> policy,
                                const routing::Route& route,
                                CacheHandler::UpstreamFactory make_upstream,
                                std::shared_ptr<const cache::CachedObject> stale) {
  http::RequestHead copy;
  copy.method = "GET";
  copy.target = request.target;
  copy.authority = request.authority;
  copy.scheme = request.scheme;
  copy.version_minor = 1;
  for (const http::Header& h : request.headers) {
    // The client's own conditions and range are about its copy, not ours.
    if (ascii::iequals(h.name, "range") || ascii::iequals(h.name, "if-range") ||
        ascii::iequals(h.name, "if-none-match") || ascii::iequals(h.name, "if-modified-since") ||
        ascii::iequals(h.name, "content-length") || ascii::iequals(h.name, "expect"))
      continue;
    copy.headers.add(h.name, h.value);
  }
  auto refresh = std::make_shared<Refresh>(*this, std::move(copy), client, std::move(request_id));
  Refresh* raw = refresh.get();
  running_.emplace(raw, std::move(refresh));
  auto handler = std::make_unique<CacheHandler>(raw->exchange(), std::move(policy), route, loop_,
                                                std::move(make_upstream), *this,
                                                CacheHandler::Mode::Refresh, std::move(stale));
  CacheHandler* handler_raw = handler.get();
  raw->exchange().setHandler(std::move(handler));
  handler_raw->start();
}

void BackgroundRefreshes::finished(Refresh* refresh) {
  // Called from inside the refresh's own call stack: destroy it once that has unwound.
  auto it = running_.find(refresh);
  if (it == running_.end()) return;
  std::shared_ptr<const void> doomed(std::move(it->second));
  running_.erase(it);
  loop_.deferDelete(std::move(doomed));
}

}  // namespace gatehouse::pipeline
