#include "proxy/http/exchange.h"

#include "proxy/http/error_page.h"
#include "proxy/http/field_lines.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::http {

void Downstream::sendBodyBytes(std::string_view bytes) {
  net::EvbufferPtr buf = net::makeEvbuffer();
  evbuffer_add(buf.get(), bytes.data(), bytes.size());
  sendBody(buf.get());
}

void Exchange::respondHead(const ResponseHead& head) {
  record_.status = head.status;
  head_sent_ = true;
  bool has_hsts = false;
  if (client_.hsts > 0) findFieldLine(head.preformatted, "strict-transport-security", &has_hsts);
  if (client_.hsts > 0 && !has_hsts && !head.headers.has("strict-transport-security")) {
    ResponseHead with_hsts = head;
    with_hsts.headers.add("Strict-Transport-Security", "max-age=" + std::to_string(client_.hsts));
    downstream_.sendHead(with_hsts);
    return;
  }
  downstream_.sendHead(head);
}

void Exchange::respondBody(std::string_view bytes) {
  if (bytes.empty()) return;
  record_.bytes_sent += bytes.size();
  downstream_.sendBodyBytes(bytes);
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
  head.content_length = body.size();
  head.has_body = request_.method != "HEAD";
  respondHead(head);
  if (head.has_body) respondBody(body);
  respondEnd();
}

}  // namespace gatehouse::http
