#pragma once
// Backend servers for unit tests of proxy/upstream, without a network: FakeBackendConnector is
// a upstream::BackendConnector that gives each new BackendConnection one end of a socketpair,
// and FakeBackend is the other end, on which the test speaks HTTP/1.1 byte by byte.
//
// The test decides when each connect completes (accept) or fails (refuse, timeOut), so
// nothing races and nothing sleeps; every wait is a bounded runUntil() on the same loop
// (tests/support/loop_runner.h). Only a connect still pending may be completed: one whose
// BackendConnection was retired meanwhile must be left alone.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/upstream/backend_connector.h"
#include "tests/support/loop_runner.h"

namespace gatehouse::testing {

// The server's end of one backend connection: a raw non-blocking socket the test reads and
// writes through pump(), which the wait helpers call on every round of the loop.
class FakeBackend {
 public:
  explicit FakeBackend(int fd) : fd_(fd) { fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK); }
  ~FakeBackend() { close(); }
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  // Writes what is queued as far as the socket takes it, then (unless stopReading()) reads
  // what has arrived.
  void pump() {
    while (fd_ >= 0 && !unsent_.empty()) {
      const ssize_t n = ::send(fd_, unsent_.data(), unsent_.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      unsent_.erase(0, static_cast<size_t>(n));
    }
    char chunk[64 * 1024];
    while (fd_ >= 0 && reading_ && !eof_) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        received_.append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        eof_ = true;
      } else {
        break;
      }
    }
  }
  // Queues bytes for the proxy; they go out with the next pump().
  void send(std::string_view bytes) {
    unsent_.append(bytes);
    pump();
  }
  // The server hangs up (both directions).
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Stops reading: what the proxy writes now stays in the kernel (request backpressure).
  void stopReading() { reading_ = false; }
  void startReading() { reading_ = true; }

  // Everything the proxy has sent so far.
  const std::string& received() const { return received_; }
  // The proxy closed its end (or the connection broke).
  bool closedByProxy() const { return eof_; }
  size_t unsent() const { return unsent_.size(); }

  // Runs the loop until pred() holds, pumping this end each round.
  bool waitFor(event_base* base, const std::function<bool()>& pred) {
    return runUntil(base, [&] {
      pump();
      return pred();
    });
  }
  // Runs the loop until `n` request heads have come in.
  bool waitForHeads(event_base* base, size_t n = 1) {
    return waitFor(base, [&] { return heads() >= n; });
  }
  size_t heads() const {
    size_t count = 0;
    for (size_t at = received_.find("\r\n\r\n"); at != std::string::npos;
         at = received_.find("\r\n\r\n", at + 4))
      ++count;
    return count;
  }

 private:
  int fd_;
  std::string received_;
  std::string unsent_;
  bool eof_ = false;
  bool reading_ = true;
};

class FakeBackendConnector final : public upstream::BackendConnector {
 public:
  enum class Outcome { Pending, Accepted, Refused, TimedOut };

  // One connect the proxy started: to which server, and the end the test drives.
  struct Attempt {
    const health::Server* server = nullptr;
    net::TcpConnection::Handler* handler = nullptr;
    std::unique_ptr<FakeBackend> backend;
    Outcome outcome = Outcome::Pending;
  };

  std::unique_ptr<net::TcpConnection> open(event_base* base, const health::Server& server,
                                           Duration connect_timeout,
                                           net::TcpConnection::Handler& handler) override {
    (void)connect_timeout;  // the test says when a connect times out
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      ADD_FAILURE() << "socketpair failed";
      return nullptr;
    }
    auto attempt = std::make_unique<Attempt>();
    attempt->server = &server;
    attempt->handler = &handler;
    attempt->backend = std::make_unique<FakeBackend>(fds[1]);
    attempts_.push_back(std::move(attempt));
    return net::TcpConnection::adopt(base, fds[0], handler);
  }

  size_t attempts() const { return attempts_.size(); }
  Attempt& attempt(size_t i) { return *attempts_.at(i); }
  Attempt& last() { return *attempts_.back(); }
  // The connections accepted so far, in order.
  size_t accepted() const {
    size_t n = 0;
    for (const auto& a : attempts_)
      n += a->outcome == Outcome::Accepted;
    return n;
  }

  // The connect completes: the proxy hears onConnected(). Returns the server's end.
  FakeBackend& accept(size_t i) {
    Attempt& a = pending(i);
    a.outcome = Outcome::Accepted;
    a.handler->onConnected();
    return *a.backend;
  }
  FakeBackend& acceptLast() { return accept(attempts_.size() - 1); }
  // connect(2) is refused (nothing listens there).
  void refuse(size_t i) {
    fail(i, Outcome::Refused, net::TcpConnection::CloseReason::ConnectFailed);
  }
  void refuseLast() { refuse(attempts_.size() - 1); }
  // backend_connect elapses.
  void timeOut(size_t i) {
    fail(i, Outcome::TimedOut, net::TcpConnection::CloseReason::ConnectTimeout);
  }

 private:
  Attempt& pending(size_t i) {
    Attempt& a = *attempts_.at(i);
    EXPECT_EQ(a.outcome, Outcome::Pending) << "connect " << i << " was already completed";
    return a;
  }
  void fail(size_t i, Outcome outcome, net::TcpConnection::CloseReason reason) {
    Attempt& a = pending(i);
    a.outcome = outcome;
    a.backend->close();
    a.handler->onClose(reason);
  }

  std::vector<std::unique_ptr<Attempt>> attempts_;
};

}  // namespace gatehouse::testing
