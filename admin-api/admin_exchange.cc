#include "admin-api/admin_exchange.h"

#include <fmt/format.h>

#include <exception>

#include "admin-api/admin_server.h"
#include "admin-api/json_body.h"
#include "proxy/base/ascii.h"
#include "proxy/base/log.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::admin {

std::string clientAddress(const http::ClientInfo& client) {
  if (client.ip.find(':') != std::string::npos)
    return fmt::format("[{}]:{}", client.ip, client.port);
  return fmt::format("{}:{}", client.ip, client.port);
}

namespace {

size_t fieldCount(const http::HeaderMap& headers, std::string_view name) {
  size_t n = 0;
  for (const http::Header& h : headers)
    if (ascii::iequals(h.name, name)) ++n;
  return n;
}

}  // namespace

void AdminExchange::start() {
  const http::RequestHead& head = exchange_.request();
  ++server_.counters().requests;
  lookup_ = server_.router().find(head.method, head.path());
  if (lookup_.access == Access::Token && !authorized()) return;
  switch (lookup_.kind) {
    case Router::Lookup::Kind::NotFound:
      respond(errorResponse(404, fmt::format("no such endpoint: {}", head.path())));
      return;
    case Router::Lookup::Kind::MethodNotAllowed: {
      AdminResponse response = errorResponse(
          405,
          fmt::format("{} is not allowed on {}; use {}", head.method, head.path(), lookup_.allow));
      response.headers.emplace_back("Allow", lookup_.allow);
      respond(response);
      return;
    }
    case Router::Lookup::Kind::Found:
      break;
  }
  if (head.content_length && *head.content_length > kMaxBodyBytes) {
    respond(errorResponse(413, fmt::format("the body is larger than {} bytes", kMaxBodyBytes)));
    return;
  }
  // Without a body the codec calls onRequestEnd() as soon as this returns.
  if (head.has_body) exchange_.resumeRequestBody();
}

bool AdminExchange::authorized() {
  const http::RequestHead& head = exchange_.request();
  // Two Authorization fields would leave us guessing which one the client meant.
  BearerAuth::Verdict verdict = fieldCount(head.headers, "authorization") > 1
                                    ? BearerAuth::Verdict::WrongToken
                                    : server_.auth().check(head.headers.get("authorization"));
  // The status page's session cookie stands for the token. A change made with it must carry
  // X-Gatehouse-Request, which a page of another site cannot add (SameSite=Strict is the first
  // guard against cross-site requests, this the second).
  if (verdict == BearerAuth::Verdict::Missing && head.headers.has("cookie")) {
    server_.auth();  // a rotated token ends the sessions before they are looked at
    if (server_.sessions().valid(head.headers.get("cookie"), SessionStore::Clock::now())) {
      const bool safe = head.method == "GET" || head.method == "HEAD";
      if (safe || head.headers.has("x-gatehouse-request")) {
        server_.markAuthenticated(exchange_.client());
        return true;
      }
      respond(errorResponse(403,
                            "a change made with the session cookie needs the "
                            "X-Gatehouse-Request header"));
      return false;
    }
  }
  if (verdict == BearerAuth::Verdict::Admitted) {
    server_.markAuthenticated(exchange_.client());
    return true;
  }
  ++server_.counters().unauthorized;
  log::warn("admin: {} {} from {} refused: {}", head.method, head.path(),
            clientAddress(exchange_.client()), describe(verdict));
  AdminResponse response = errorResponse(401, describe(verdict));
  // RFC 6750 §3: a client that sent a token it should not have learns why.
  response.headers.emplace_back("WWW-Authenticate",
                                verdict == BearerAuth::Verdict::Missing
                                    ? "Bearer realm=\"gatehouse\""
                                    : "Bearer realm=\"gatehouse\", error=\"invalid_token\"");
  respond(response);
  return false;
}

void AdminExchange::onRequestBody(evbuffer* data) {
  const size_t n = evbuffer_get_length(data);
  if (done_ || body_.size() + n > kMaxBodyBytes) {
    evbuffer_drain(data, n);
    // A chunked body gives no length up front: it is refused once it passes the cap.
    if (!done_)
      respond(errorResponse(413, fmt::format("the body is larger than {} bytes", kMaxBodyBytes)));
    return;
  }
  const size_t old = body_.size();
  body_.resize(old + n);
  evbuffer_remove(data, body_.data() + old, n);
}

void AdminExchange::onRequestEnd() {
  if (!done_) run();
}

void AdminExchange::run() {
  const http::RequestHead& head = exchange_.request();
  AdminRequest request;
  request.method = head.method;
  request.path = std::string(head.path());
  if (size_t q = head.target.find('?'); q != std::string::npos)
    request.query = head.target.substr(q + 1);
  request.client = clientAddress(exchange_.client());
  request.body = std::move(body_);
  request.cookie = std::string(head.headers.get("cookie"));
  request.params = std::move(lookup_.params);
  AdminContext context = server_.context();
  AdminResponse response;
  // The boundary: an endpoint's exception must not unwind through the event loop.
  try {
    response = (*lookup_.endpoint)(request, context);
  } catch (const std::exception& e) {
    log::error("admin: {} {} failed: {}", request.method, request.path, e.what());
    response = errorResponse(500, "internal error; see the gatehouse log");
  }
  respond(response);
}

void AdminExchange::respond(const AdminResponse& response) {
  if (done_) return;
  done_ = true;
  http::ResponseHead head;
  head.status = response.status;
  head.headers.add("Content-Type", response.content_type);
  head.headers.add("Cache-Control", "no-store");
  for (const auto& [name, value] : response.headers)
    head.headers.add(name, value);
  if (response.open_stream) {
    // No length: the body goes out chunked for as long as the stream runs.
    exchange_.respondHead(head);
    stream_ = response.open_stream(exchange_);
    return;
  }
  head.content_length = response.body.size();
  exchange_.respondHead(head);
  if (!response.body.empty()) {
    net::EvbufferPtr body = net::makeEvbuffer();
    evbuffer_add(body.get(), response.body.data(), response.body.size());
    exchange_.respondBody(body.get());
  }
  // May complete the exchange: this object is then deleted after the current callback.
  exchange_.respondEnd();
}

}  // namespace gatehouse::admin
