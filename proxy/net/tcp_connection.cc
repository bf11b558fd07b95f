// TcpConnection: opening, adopting and closing the socket, timeouts, and the input side (reads
// straight into evbuffer space, the read limit). Output: tcp_connection_output.cc; TLS:
// tcp_connection_tls.cc.
#include "proxy/net/tcp_connection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "proxy/net/tls_errors.h"

namespace gatehouse::net {
namespace {
constexpr size_t kReadChunk = kChunkIn16KiB;  // what one read asks for
}  // namespace

std::atomic<uint64_t> TcpConnection::send_timeouts_total{0};

TcpConnection::TcpConnection(event_base* base, evutil_socket_t fd, Handler& handler)
    : fd_(fd),
      handler_(&handler),
      input_(evbuffer_new()),
      output_(evbuffer_new()),
      read_event_(event_new(base, fd, EV_READ | EV_PERSIST, &TcpConnection::onReadEvent, this)),
      write_event_(event_new(base, fd, EV_WRITE | EV_PERSIST, &TcpConnection::onWriteEvent, this)),
      flush_event_(event_new(base, -1, 0, &TcpConnection::onFlushEvent, this)),
      read_timer_(base, [this] { fail(CloseReason::ReadTimeout); }),
      write_timer_(base, [this] { onWriteTimer(); }) {
  evbuffer_add_cb(output_.get(), &TcpConnection::onOutputChanged, this);
  evbuffer_add_cb(input_.get(), &TcpConnection::onInputChanged, this);  // not reading yet
}

TcpConnection::~TcpConnection() {
  close();
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<TcpConnection> TcpConnection::adopt(event_base* base, evutil_socket_t fd,
                                                    Handler& handler) {
  evutil_make_socket_nonblocking(fd);
  return std::unique_ptr<TcpConnection>(new TcpConnection(base, fd, handler));
}

std::unique_ptr<TcpConnection> TcpConnection::adopt(event_base* base, evutil_socket_t fd) {
  // Never called: nothing reads or writes before the owner's setHandler().
  struct Unowned final : Handler {
    void onReadable() override {}
    void onDrained() override {}
    void onClose(CloseReason) override {}
  };
  static Unowned unowned;
  return adopt(base, fd, unowned);
}

std::unique_ptr<TcpConnection> TcpConnection::adopt(event_base* base, IdleSocket socket) {
  SSL* ssl = socket.releaseSsl();
  std::unique_ptr<TcpConnection> conn = adopt(base, socket.releaseFd());
  conn->ssl_.reset(ssl);  // established: no handshake, plaintext from the first read
  conn->noteKernelTls();
  return conn;
}

bool TcpConnection::quiescent() const {
  return !closed_ && fd_ >= 0 && !connecting_ && !handshaking_ && !write_wants_read_ && !eof_ &&
         !fin_sent_ && !shutdown_pending_ && pendingOutput() == 0 &&
         evbuffer_get_length(input_.get()) == 0 && !(ssl_ && SSL_has_pending(ssl_.get()));
}

IdleSocket TcpConnection::detach() {
  close();
  IdleSocket socket(fd_, ssl_.release());
  fd_ = -1;  // the socket's now
  return socket;
}

std::unique_ptr<TcpConnection> TcpConnection::connect(event_base* base,
                                                      const SocketAddress& address,
                                                      Duration connect_timeout, Handler& handler) {
  evutil_socket_t fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  std::unique_ptr<TcpConnection> conn(new TcpConnection(base, fd, handler));
  if (fd < 0) {
    conn->connecting_ = conn->connect_refused_now_ = true;
    conn->write_timer_.arm(Duration(0));  // reported from the loop, as any connect failure
    return conn;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conn->connecting_ = true;
  int rc = ::connect(fd, address.get(), address.length());
  if (rc != 0 && errno != EINPROGRESS) {
    conn->connect_refused_now_ = true;
    conn->write_timer_.arm(Duration(0));
    return conn;
  }
  event_add(conn->write_event_.get(), nullptr);
  conn->write_armed_ = true;
  if (connect_timeout.count() > 0) conn->write_timer_.arm(connect_timeout);
  return conn;
}

void TcpConnection::setReading(bool on) {
  want_read_ = on;
  updateReadInterest();
}

void TcpConnection::setReadLimit(size_t bytes) {
  read_limit_ = bytes;
  updateReadInterest();
}

void TcpConnection::setTimeouts(Duration read, Duration write) {
  read_timeout_ = read;
  write_timeout_ = write;
  if (read_armed_ && read.count() > 0)
    read_timer_.arm(read);
  else
    read_timer_.cancel();
  // A send timeout counts progress only: an owner changing its timeouts does not restart it.
  if (!connecting_ && send_timeout_.count() == 0) {
    if (write_armed_ && write.count() > 0)
      write_timer_.arm(write);
    else
      write_timer_.cancel();
  }
}

void TcpConnection::setSendTimeout(Duration timeout) {
  send_timeout_ = timeout;
  if (connecting_) return;
  if (write_armed_ && writeTimeout().count() > 0)
    write_timer_.arm(writeTimeout());
  else
    write_timer_.cancel();
}

void TcpConnection::onWriteTimer() {
  if (connecting_)
    return fail(connect_refused_now_ ? CloseReason::ConnectFailed : CloseReason::ConnectTimeout);
  if (send_timeout_.count() > 0) send_timeouts_total.fetch_add(1, std::memory_order_relaxed);
  fail(CloseReason::WriteTimeout);
}

void TcpConnection::updateReadInterest() {
  if (closed_) return;
  bool throttled = read_limit_ > 0 && evbuffer_get_length(input_.get()) >= read_limit_;
  bool arm = (want_read_ || handshaking_ || write_wants_read_) && !eof_ && !connecting_ &&
             (!throttled || handshaking_ || write_wants_read_);
  if (arm == read_armed_) return;
  read_armed_ = arm;
  // The input callback is there only while reading is off (it resumes reading once the owner
  // has consumed input): while reading, every read and drain would call it for nothing (~400
  // instructions per proxied request, both connections' inputs together).
  if (arm) {
    evbuffer_remove_cb(input_.get(), &TcpConnection::onInputChanged, this);
    event_add(read_event_.get(), nullptr);
    if (read_timeout_.count() > 0) read_timer_.arm(read_timeout_);
    // Decrypted bytes held by TLS never make the socket readable again: fetch them now.
    if (ssl_ && !handshaking_ && SSL_has_pending(ssl_.get()))
      event_active(read_event_.get(), EV_READ, 0);
  } else {
    evbuffer_add_cb(input_.get(), &TcpConnection::onInputChanged, this);
    event_del(read_event_.get());
    read_timer_.cancel();
  }
}

void TcpConnection::shutdownWrite() {
  shutdown_pending_ = true;
  if (pendingOutput() == 0 && !connecting_) sendFin();
}

void TcpConnection::sendFin() {
  if (fin_sent_ || fd_ < 0) return;
  fin_sent_ = true;
  if (ssl_ && !handshaking_) {
    clearTlsErrors();
    SSL_shutdown(ssl_.get());  // close_notify; we do not wait for the peer's
    clearTlsErrors();
  }
  ::shutdown(fd_, SHUT_WR);
}

void TcpConnection::close() {
  if (closed_) return;
  closed_ = true;
  event_del(read_event_.get());
  event_del(write_event_.get());
  event_del(flush_event_.get());
  read_timer_.stop();
  write_timer_.stop();
  evbuffer_remove_cb(output_.get(), &TcpConnection::onOutputChanged, this);
  if (!read_armed_) evbuffer_remove_cb(input_.get(), &TcpConnection::onInputChanged, this);
}

void TcpConnection::fail(CloseReason reason) {
  if (closed_) return;
  if (reason == CloseReason::Eof) {
    eof_ = true;
    updateReadInterest();
  } else {
    close();
  }
  handler_->onClose(reason);
}

void TcpConnection::finishConnect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == EINPROGRESS) return;
  connecting_ = false;
  event_del(write_event_.get());
  write_armed_ = false;
  write_timer_.cancel();
  if (err != 0) {
    close();
    handler_->onClose(CloseReason::ConnectFailed);
    return;
  }
  updateReadInterest();
  handler_->onConnected();
  if (!closed_ && pendingOutput() > 0 && !write_armed_) writeSome();
}

// --- reading -------------------------------------------------------------------------------

void TcpConnection::onReadEvent(evutil_socket_t, short, void* self) {
  static_cast<TcpConnection*>(self)->readSome();
}

void TcpConnection::readSome() {
  if (handshaking_) return continueHandshake();
  if (write_wants_read_) {
    // A TLS write was waiting for the peer's bytes (a key update): retry it first.
    write_wants_read_ = false;
    writeSome();
    if (closed_) return;
  }
  size_t want = kReadChunk;
  if (read_limit_ > 0) {
    size_t have = evbuffer_get_length(input_.get());
    if (have >= read_limit_) return updateReadInterest();
    want = std::min(want, read_limit_ - have);
  }
  // Straight into evbuffer space: no FIONREAD probe, no copy. libevent may offer more space
  // than asked for; never read more than `want`, so the read limit holds exactly.
  evbuffer_iovec vec[2];
  int n_vec = evbuffer_reserve_space(input_.get(), static_cast<ev_ssize_t>(want), vec, 2);
  if (n_vec <= 0) return fail(CloseReason::Error);
  size_t budget = want;
  for (int i = 0; i < n_vec; ++i) {
    vec[i].iov_len = std::min(vec[i].iov_len, budget);
    budget -= vec[i].iov_len;
  }
  size_t got = 0;
  bool open = ssl_ ? readTls(vec, &got) : readPlain(vec, n_vec, &got);
  size_t left = got;
  for (int i = 0; i < n_vec; ++i) {
    vec[i].iov_len = std::min(left, vec[i].iov_len);
    left -= vec[i].iov_len;
  }
  evbuffer_commit_space(input_.get(), vec, n_vec);
  if (!open) return;
  if (got == 0) return;  // nothing yet (EAGAIN, or a TLS record still incomplete)
  if (read_timeout_.count() > 0) read_timer_.arm(read_timeout_);
  updateReadInterest();
  handler_->onReadable();
  // TLS may hold decrypted bytes the socket will never signal again: come back for them.
  if (!closed_ && ssl_ && read_armed_ && SSL_has_pending(ssl_.get()))
    event_active(read_event_.get(), EV_READ, 0);
}

bool TcpConnection::readPlain(evbuffer_iovec* vec, int n_vec, size_t* got) {
  iovec iov[2];
  for (int i = 0; i < n_vec; ++i) {
    iov[i].iov_base = vec[i].iov_base;
    iov[i].iov_len = vec[i].iov_len;
  }
  // recv(2) for the usual single region: the socket path, without readv's VFS and iovec
  // import, which is a measurable share of a small request's kernel time.
  ssize_t n =
      n_vec == 1 ? ::recv(fd_, iov[0].iov_base, iov[0].iov_len, 0) : ::readv(fd_, iov, n_vec);
  if (n > 0) {
    *got = static_cast<size_t>(n);
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  evbuffer_commit_space(input_.get(), vec, 0);
  fail(n == 0 ? CloseReason::Eof : CloseReason::Error);
  return false;
}

void TcpConnection::onInputChanged(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  // The owner consumed input: reading may resume under the limit.
  auto* self = static_cast<TcpConnection*>(arg);
  if (info->n_deleted > 0 && !self->read_armed_) self->updateReadInterest();
}

}  // namespace gatehouse::net
