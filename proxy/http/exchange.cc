#include "proxy/http/exchange.h"

#include "proxy/http/error_page.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::http {

void Downstream::sendBodyBytes(std::string_view bytes) {
  net::EvbufferPtr buf = net::makeEvbuffer();
  evbuffer_add(buf.get(), bytes.data(), bytes.size());
  sendBody(buf.get());
}

void Downstream::sendWhole(const ResponseHead& head, std::string_view body) {
  sendHead(head);
  if (!body.empty()) sendBodyBytes(body);
  sendEnd();
}

void Exchange::restart(const ClientInfo& client, Downstream& downstream,
                       std::string_view request_id) {
  client_ = client;  // the strings' room is kept: no allocation for an address
  downstream_ = &downstream;
  request_id_.assign(request_id);
  handler_.reset();
  policy_ = nullptr;
  // A new record (so that a field added to it is reset too), keeping the server label's
  // capacity: the next request's label fits without allocating.
  std::string server = std::move(record_.server);
  server.clear();
  record_ = ExchangeRecord{};
  record_.server = std::move(server);
  request_trailers_.clear();
  started_ = std::chrono::steady_clock::now();
  head_sent_ = false;
}

size_t Exchange::retainedBytes() const {
  const RequestHead& r = request_;
  // Every string counts its room, even when short enough to be inline (a few bytes' error).
  return r.method.capacity() + r.target.capacity() + r.authority.capacity() + r.scheme.capacity() +
         r.forwarding.capacity() + r.headers.heapBytes() + client_.ip.capacity() +
         record_.server.capacity() + request_trailers_.heapBytes();
}

void Exchange::respondHead(const ResponseHead& head) {
  record_.status = head.status;
  head_sent_ = true;
  if (policy_ && policy_->applies(*this, head)) {
    ResponseHead changed = head;
    policy_->apply(*this, changed);
    downstream_->sendHead(changed);
    return;
  }
  downstream_->sendHead(head);
}

void Exchange::respondError(int status, std::string_view detail) {
  if (head_sent_) {
    // Too late for a clean error: the client must see a truncated response, not a wrong one.
    abort();
    return;
  }
  std::string body = errorBody(status, detail);
  respondWhole(errorHead(status, body.size()), body);
}

void Exchange::respondWhole(ResponseHead head, std::string_view body) {
  respondWhole(std::move(head), body, nullptr);
}

void Exchange::respondWhole(ResponseHead head, std::string_view body,
                            std::shared_ptr<const void> owner) {
  head.content_length = body.size();
  head.has_body = request_.method != "HEAD";
  if (!head.has_body) body = {};
  record_.status = head.status;
  record_.bytes_sent += body.size();
  head_sent_ = true;
  if (policy_ && policy_->applies(*this, head)) policy_->apply(*this, head);
  if (owner && !body.empty())
    downstream_->sendWholeShared(head, body, std::move(owner));
  else
    downstream_->sendWhole(head, body);
}

}  // namespace gatehouse::http
