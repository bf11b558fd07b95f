#include "proxy/http/exchange.h"

#include "proxy/http/error_page.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::http {

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
  head.content_length = body.size();
  head.has_body = request_.method != "HEAD";
  respondHead(head);
  if (head.has_body && !body.empty()) {
    net::EvbufferPtr buf = net::makeEvbuffer();
    evbuffer_add(buf.get(), body.data(), body.size());
    respondBody(buf.get());
  }
  respondEnd();
}

}  // namespace gatehouse::http
