#pragma once
// The fixture of the UpstreamHandler unit tests: whole exchanges on one in-process loop, the
// client a FakeExchange (tests/support/fake_downstream.h), the backend servers FakeBackends on
// socketpairs handed out by a FakeBackendConnector (tests/support/fake_backend.h), the gate a
// FakeAdmission. No listening socket, no process, no sleep.

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>

#include "proxy/net/event_loop.h"
#include "proxy/upstream/upstream_handler.h"
#include "tests/support/fake_backend.h"
#include "tests/support/fake_downstream.h"
#include "tests/unit/proxy/upstream/upstream_test_support.h"

namespace gatehouse::upstream {

using testing::FakeBackend;
using testing::FakeDownstream;

inline http::RequestHead request(std::string method = "GET", std::string target = "/page") {
  http::RequestHead head;
  head.method = std::move(method);
  head.target = std::move(target);
  head.authority = "app.test";
  return head;
}

// A request with a body of `length` bytes (nullopt: chunked) still to come from the client.
inline http::RequestHead requestWithBody(std::string method, std::optional<uint64_t> length) {
  http::RequestHead head = request(std::move(method));
  head.has_body = true;
  head.content_length = length;
  return head;
}

inline net::EvbufferPtr bufferOf(std::string_view bytes) {
  net::EvbufferPtr buffer = net::makeEvbuffer();
  evbuffer_add(buffer.get(), bytes.data(), bytes.size());
  return buffer;
}

class UpstreamHandlerTest : public ::testing::Test {
 protected:
  // One client's exchange and the handler serving it.
  struct Client {
    explicit Client(http::RequestHead head) : fake(std::move(head), clientInfo()) {}
    static http::ClientInfo clientInfo() {
      http::ClientInfo info;
      info.ip = "203.0.113.7";
      return info;
    }
    FakeDownstream& downstream() { return fake.downstream; }
    http::Exchange& exchange() { return fake.exchange; }

    testing::FakeExchange fake;
    std::unique_ptr<UpstreamHandler> handler;  // destroyed first: it refers to the exchange
  };

  // The pool "app" of `servers` servers "a", "b", ... with the rest of `config`.
  void usePool(config::BackendConfig config = {}, int servers = 1) {
    pool = makePool(std::move(config), servers);
  }
  health::Server& server(std::string_view name) { return *pool->findServer(name); }

  // A new client exchange with an UpstreamHandler, started.
  Client& start(http::RequestHead head, ResponseInterceptor* interceptor = nullptr) {
    clients.push_back(std::make_unique<Client>(std::move(head)));
    Client& c = *clients.back();
    c.handler = std::make_unique<UpstreamHandler>(c.exchange(), *pool, nullptr, connections, loop,
                                                  timeouts, admission, interceptor);
    c.handler->start();
    return c;
  }

  event_base* base() { return loop.base(); }
  // Runs the loop, pumping `backend`, until the client's response ended or was aborted.
  bool waitForEnd(Client& c, FakeBackend& backend) {
    return backend.waitFor(base(), [&] { return c.downstream().finished(); });
  }
  // Runs the loop until `backend` sees the proxy close its end.
  bool waitForClose(FakeBackend& backend) {
    return backend.waitFor(base(), [&] { return backend.closedByProxy(); });
  }
  // Starts `c`'s response (head and 4 of its 100 body bytes reach the client) and returns the
  // backend's end.
  FakeBackend& respondPartly(Client& c) {
    FakeBackend& backend = connector.acceptLast();
    EXPECT_TRUE(backend.waitForHeads(base()));
    backend.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
    EXPECT_TRUE(backend.waitFor(base(), [&] { return c.downstream().body == "part"; }));
    return backend;
  }
  // A whole GET on a new connection, answered with `body`: its connection ends up pooled.
  void serveOnNewConnection(std::string_view body = "ok") {
    Client& c = start(request());
    FakeBackend& backend = connector.acceptLast();
    ASSERT_TRUE(backend.waitForHeads(base()));
    backend.send(okResponse(body));
    ASSERT_TRUE(waitForEnd(c, backend));
  }

  net::EventLoop loop;
  testing::FakeBackendConnector connector;
  ConnectionPool connections{connector};
  std::unique_ptr<BackendPool> pool;
  FakeAdmission admission;
  RecordingInterceptor interceptor;
  BackendConnection::Timeouts timeouts;
  std::deque<std::unique_ptr<Client>> clients;
};

}  // namespace gatehouse::upstream
