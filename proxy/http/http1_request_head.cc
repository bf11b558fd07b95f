#include "proxy/http/http1_request_head.h"

#include <string>
#include <string_view>

namespace gatehouse::http {
namespace {

void normalizeTarget(RequestHead& head) {
  std::string_view t = head.target;
  size_t scheme_end = t.find("://");
  if (t.empty() || t.front() == '/' || scheme_end == std::string_view::npos) return;
  std::string_view rest = t.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?");
  head.authority = std::string(rest.substr(0, path_start));
  std::string_view path = path_start == std::string_view::npos ? "/" : rest.substr(path_start);
  // Built aside first: `path` views the old target.
  std::string origin_form = path.front() == '?' ? "/" + std::string(path) : std::string(path);
  head.target = std::move(origin_form);
}

}  // namespace

RequestHead toRequestHead(const RequestHeadView& view) {
  RequestHead head;
  toRequestHead(view, head);
  return head;
}

void toRequestHead(const RequestHeadView& view, RequestHead& head) {
  head.method.assign(view.method);
  head.target.assign(view.target);
  head.authority.assign(view.host);
  head.scheme.assign("http");
  head.version_minor = view.version_minor;
  head.headers.reserve(view.headers.size() + 6);  // room for what the proxy adds
  head.headers.assign(view.headers);
  head.upgrade = view.upgrade;
  removeHopByHop(head.headers, head.upgrade);
  head.headers.remove("expect");
  head.headers.remove("content-length");
  head.forwarding.clear();  // written by the forwarding step (forwarded_headers.h), once
  head.has_body = view.framing == BodyFraming::ContentLength ? view.content_length > 0
                                                             : view.framing == BodyFraming::Chunked;
  head.content_length.reset();
  if (view.framing == BodyFraming::ContentLength) head.content_length = view.content_length;
  normalizeTarget(head);
}

}  // namespace gatehouse::http
