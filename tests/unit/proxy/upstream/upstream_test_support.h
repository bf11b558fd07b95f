#pragma once
// What the upstream unit tests share: backend pools built from config (numeric addresses, never
// dialled: the FakeBackendConnector stands in for connect(2)), a BackendConnection::User that
// records what it hears, the gate's BackendAdmission and a ResponseInterceptor as fakes, and
// HTTP/1.1 responses as the fake backend writes them.

#include <event2/buffer.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/gate/backend_admission.h"
#include "proxy/upstream/backend_connection.h"
#include "proxy/upstream/backend_pool.h"
#include "proxy/upstream/response_interceptor.h"

namespace gatehouse::upstream {

// A pool named "app" of `servers` servers named "a", "b", ... (127.0.0.1, ports 1, 2, ...).
inline std::unique_ptr<BackendPool> makePool(config::BackendConfig config, int servers = 1) {
  config.name = "app";
  for (int i = 0; i < servers; ++i) {
    config::ServerConfig s;
    s.name = std::string(1, static_cast<char>('a' + i));
    s.address.host = "127.0.0.1";
    s.address.port = static_cast<uint16_t>(i + 1);
    config.servers.push_back(s);
  }
  auto pool = BackendPool::create(config);
  if (!pool.ok()) {
    ADD_FAILURE() << pool.error().message;
    return nullptr;
  }
  return std::move(*pool);
}

inline std::string drain(evbuffer* data) {
  std::string s(evbuffer_get_length(data), '\0');
  evbuffer_remove(data, s.data(), s.size());
  return s;
}

// A BackendConnection::User that records every call.
struct RecordingUser final : BackendConnection::User {
  void onConnected() override { ++connected; }
  // The head's field lines are the connection's until its next response: kept as fields.
  void onResponseHead(http::ResponseHead& h) override {
    takeFieldLines(h);
    head = h;
  }
  void onResponseBody(evbuffer* data) override { body += drain(data); }
  void onResponseEnd() override { ++ended; }
  void onResponseTrailers(http::HeaderMap& t) override { trailers = t; }
  void onRequestDrained() override { ++drained; }
  void onFailure(BackendFailure f) override { failure = f; }

  int connected = 0;
  std::optional<http::ResponseHead> head;
  std::string body;
  int ended = 0;
  std::optional<http::HeaderMap> trailers;
  int drained = 0;
  std::optional<BackendFailure> failure;
};

// Read-only mode as the upstream sees it: `read_only` blocks every request that asks.
struct FakeAdmission final : gate::BackendAdmission {
  gate::Admission admitBeforeBackend(http::RequestHead&) const override {
    ++asked;
    return read_only ? gate::Admission::Blocked : gate::Admission::Pass;
  }
  void respondBlocked(http::Exchange& exchange) const override {
    exchange.respondError(503, "Read-only mode.");
  }
  void filterResponse(const http::RequestHead&, http::ResponseHead& head) const override {
    if (read_only) head.headers.remove("set-cookie");
  }

  bool read_only = false;
  mutable int asked = 0;
};

// A cache-like interceptor: records the calls in order ("head:200", "body", "end", "abort",
// "error:503") and answers as told.
struct RecordingInterceptor final : ResponseInterceptor {
  HeadAction onBackendHead(http::ResponseHead& head) override {
    calls.push_back("head:" + std::to_string(head.status));
    return head_action;
  }
  void onBackendBody(const evbuffer*) override { calls.push_back("body"); }
  void onBackendEnd() override { calls.push_back("end"); }
  void onBackendAbort() override { calls.push_back("abort"); }
  bool onBackendError(int status) override {
    calls.push_back("error:" + std::to_string(status));
    return answers_errors;
  }

  HeadAction head_action = HeadAction::Forward;
  bool answers_errors = false;
  std::vector<std::string> calls;
};

// A keep-alive response with a Content-Length body.
inline std::string okResponse(std::string_view body, int status = 200) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace gatehouse::upstream
