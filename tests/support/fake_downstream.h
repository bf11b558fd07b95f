#pragma once
// A Downstream that records what a handler sends, for unit tests of handlers without a codec or
// a socket: the head, the body bytes, the end, trailers and aborts, and the request-body
// pause/resume calls. Output backpressure is set by hand (`pending_output`).
// A head's preformatted fields and HTTP/2 plan (a cache hit's) are borrowed for the call only:
// they are copied, and `fields` holds every field of the last head, preformatted or not.

#include <event2/buffer.h>

#include <optional>
#include <string>
#include <vector>

#include "proxy/http/exchange.h"
#include "proxy/http/field_lines.h"

namespace gatehouse::testing {

class FakeDownstream final : public http::Downstream {
 public:
  void sendHead(const http::ResponseHead& head) override {
    preformatted = std::string(head.preformatted);
    this->head = head;
    this->head->preformatted = preformatted;
    // The HTTP/2 plan is borrowed the same way (a hit's own part lives on the writer's stack).
    plan_first.assign(head.http2_fields.first.begin(), head.http2_fields.first.end());
    plan_then.assign(head.http2_fields.then.begin(), head.http2_fields.then.end());
    this->head->http2_fields = {plan_first, plan_then};
    fields = http::HeaderMap();
    http::forEachFieldLine(preformatted, [this](std::string_view name, std::string_view value) {
      fields.add(name, value);
    });
    for (const http::Header& h : head.headers)
      fields.add(h.name, h.value);
    ++heads;
  }
  void sendBody(evbuffer* data) override {
    const size_t n = evbuffer_get_length(data);
    body.append(reinterpret_cast<const char*>(evbuffer_pullup(data, -1)), n);
    evbuffer_drain(data, n);
  }
  void sendEnd() override { ended = true; }
  void sendTrailers(const http::HeaderMap& fields) override { trailers = fields; }
  size_t pendingOutput() const override { return pending_output; }
  void pauseRequestBody() override { request_body_paused = true; }
  void resumeRequestBody() override {
    request_body_paused = false;
    ++resumes;
  }
  void abort() override { aborted = true; }
  bool canSendFile() const override { return sendfile; }

  // The status the handler answered with, 0 before a head.
  int status() const { return head ? head->status : 0; }
  // A field of the last head, preformatted or not; empty when absent.
  std::string field(std::string_view name) const { return std::string(fields.get(name)); }
  // A head went out and the response ended (or was aborted).
  bool finished() const { return ended || aborted; }

  std::optional<http::ResponseHead> head;
  std::string preformatted;                                    // the last head's, owned
  std::vector<http::Http2PlannedField> plan_first, plan_then;  // its HTTP/2 plan, owned
  http::HeaderMap fields;                                      // every field of the last head
  int heads = 0;
  std::string body;
  bool ended = false;
  std::optional<http::HeaderMap> trailers;
  bool aborted = false;
  bool request_body_paused = false;
  int resumes = 0;
  size_t pending_output = 0;
  bool sendfile = false;
};

// An Exchange over a FakeDownstream: `exchange` is the object a handler is given.
struct FakeExchange {
  explicit FakeExchange(http::RequestHead request, http::ClientInfo client = {})
      : exchange(std::move(request), std::move(client), "test-id", downstream) {}

  FakeDownstream downstream;
  http::Exchange exchange;
};

}  // namespace gatehouse::testing
