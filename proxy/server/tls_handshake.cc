#include "proxy/server/tls_handshake.h"

#include "proxy/base/log.h"

namespace gatehouse::server {

std::atomic<uint64_t> TlsHandshake::handshakes_total{0};
std::atomic<uint64_t> TlsHandshake::handshake_failures_total{0};
std::atomic<uint64_t> TlsHandshake::resumed_total{0};

TlsHandshake::TlsHandshake(event_base* base, evutil_socket_t fd, SSL* ssl, Duration timeout,
                           OnReady on_ready, OnFailed on_failed)
    : conn_(net::TcpConnection::adopt(base, fd, *this)),
      timer_(base, [this] { fail("timed out"); }),
      timeout_(timeout),
      on_ready_(std::move(on_ready)),
      on_failed_(std::move(on_failed)) {
  conn_->startTls(ssl);
}

void TlsHandshake::start() {
  timer_.arm(timeout_);
}

void TlsHandshake::beginShutdown() {
  fail("shutting down");
}

void TlsHandshake::onConnected() {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  handshakes_total.fetch_add(1, std::memory_order_relaxed);
  if (conn_->tlsResumed()) resumed_total.fetch_add(1, std::memory_order_relaxed);
  on_ready_(this, std::move(conn_));
}

void TlsHandshake::onClose(net::TcpConnection::CloseReason) {
  fail("failed");
}

void TlsHandshake::fail(std::string_view why) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  handshake_failures_total.fetch_add(1, std::memory_order_relaxed);
  log::debug("TLS handshake {}", why);
  conn_->close();
  on_failed_(this);
}

}  // namespace gatehouse::server
