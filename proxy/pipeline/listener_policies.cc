#include "proxy/pipeline/listener_policies.h"

#include <string>

#include "proxy/http/field_lines.h"
#include "proxy/routing/router.h"

namespace gatehouse::pipeline {
namespace {

// A plain listener with redirect_https: 301 to the same host and path over https, on the
// configured https port (the client's port is for plain HTTP; 443 is not written).
void redirectToHttps(http::Exchange& exchange, uint16_t https_port) {
  const http::RequestHead& request = exchange.request();
  std::string host = routing::Router::normalizeHost(request.authority);
  // Only a name the client gave is worth redirecting to (not our own address, filled in for
  // an HTTP/1.0 request without Host).
  if (host.empty() || (request.version_minor == 0 && !request.headers.has("host"))) {
    exchange.respondError(400, "A Host is required.");
    return;
  }
  std::string location = "https://" + host;
  if (https_port != 443) location += ":" + std::to_string(https_port);
  location += request.target;
  std::string body = "Moved to " + location + "\n";
  http::ResponseHead head;
  head.status = 301;
  head.headers.add("Location", location);
  head.headers.add("Content-Type", "text/plain; charset=utf-8");
  exchange.respondWhole(std::move(head), body);
}

const ListenerOptions kNoOptions;

}  // namespace

const ListenerOptions& ListenerPolicies::of(const http::Exchange& exchange) const {
  const size_t index = exchange.client().listener;
  return index < options_.size() ? options_[index] : kNoOptions;
}

bool ListenerPolicies::dispatch(http::Exchange& exchange) const {
  const ListenerOptions& options = of(exchange);
  if (options.redirect_https) {
    redirectToHttps(exchange, options.https_port);
    return true;
  }
  if (options.hsts != 0) exchange.setResponsePolicy(this);
  return false;
}

bool ListenerPolicies::applies(const http::Exchange& exchange,
                               const http::ResponseHead& head) const {
  if (of(exchange).hsts == 0 || head.headers.has("strict-transport-security")) return false;
  bool has_hsts = false;
  http::findFieldLine(head.preformatted, "strict-transport-security", &has_hsts);
  return !has_hsts;
}

void ListenerPolicies::apply(const http::Exchange& exchange, http::ResponseHead& head) const {
  head.headers.add("Strict-Transport-Security", "max-age=" + std::to_string(of(exchange).hsts));
}

}  // namespace gatehouse::pipeline
