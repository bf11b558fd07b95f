#include "proxy/net/tcp_connection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace gatehouse::net {
namespace {
// The largest TLS plaintext record (RFC 8446 §5.1).
constexpr size_t kTlsRecordBytes = 16384;

// SSL_get_error is only right when the thread's error queue was empty before the SSL call.
// It nearly always is (every failure below clears it), and ERR_clear_error resets all 16
// slots of the queue every time: about 4 times the cost of looking (callgrind, OpenSSL 3.0),
// on every TLS read and write.
void clearTlsErrors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}
}  // namespace
namespace {
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kCorkAbove = 64 * 1024;
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

IdleSocket& IdleSocket::operator=(IdleSocket&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    ssl_ = std::move(other.ssl_);
  }
  return *this;
}

void IdleSocket::shutdownWrite() {
  if (fd_ < 0) return;
  if (ssl_) {
    clearTlsErrors();
    SSL_shutdown(ssl_.get());  // close_notify; we do not wait for the peer's
    clearTlsErrors();
  }
  ::shutdown(fd_, SHUT_WR);
}

void IdleSocket::reset() {
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
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
  read_timer_.cancel();
  write_timer_.cancel();
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

bool TcpConnection::readTls(evbuffer_iovec* vec, size_t* got) {
  clearTlsErrors();
  size_t n = 0;
  if (SSL_read_ex(ssl_.get(), vec[0].iov_base, vec[0].iov_len, &n) == 1) {
    *got = n;
    return true;
  }
  int err = SSL_get_error(ssl_.get(), 0);
  if (err == SSL_ERROR_WANT_READ) return true;
  if (err == SSL_ERROR_WANT_WRITE) {
    // Reading needs a write first (rare: a key update answer); the write event retries. Under
    // kTLS our own writes bypass OpenSSL, so they wait until its record is out.
    if (kernel_tls_send_) tls_owes_write_ = true;
    if (!write_armed_) {
      event_add(write_event_.get(), nullptr);
      write_armed_ = true;
    }
    return true;
  }
  evbuffer_commit_space(input_.get(), vec, 0);
  ERR_clear_error();
  fail(err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL ? CloseReason::Eof
                                                                : CloseReason::Error);
  return false;
}

// --- TLS handshake -------------------------------------------------------------------------

void TcpConnection::startTls(SSL* ssl) {
  ssl_.reset(ssl);
  SSL_set_fd(ssl, fd_);
  SSL_set_accept_state(ssl);
  handshaking_ = true;
  updateReadInterest();
}

std::string_view TcpConnection::alpn() const {
  if (!ssl_) return {};
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
  return proto ? std::string_view(reinterpret_cast<const char*>(proto), len) : std::string_view();
}

void TcpConnection::continueHandshake() {
  clearTlsErrors();
  int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    handshaking_ = false;
    noteKernelTls();
    if (write_armed_) {
      event_del(write_event_.get());
      write_armed_ = false;
    }
    updateReadInterest();
    handler_->onConnected();
    if (!closed_ && pendingOutput() > 0 && !write_armed_) writeSome();
    return;
  }
  int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_WANT_READ) {
    if (write_armed_) {
      event_del(write_event_.get());
      write_armed_ = false;
    }
    return updateReadInterest();
  }
  if (err == SSL_ERROR_WANT_WRITE) {
    if (!write_armed_) {
      event_add(write_event_.get(), nullptr);
      write_armed_ = true;
    }
    return;
  }
  ERR_clear_error();
  fail(CloseReason::Error);  // a failed handshake: the owner counts and logs it
}

void TcpConnection::noteKernelTls() {
  // OpenSSL turned kTLS on during the handshake if it could (SSL_OP_ENABLE_KTLS, a cipher the
  // kernel knows, the `tls` module there); otherwise it went on in user space, silently.
  kernel_tls_send_ = ssl_ && BIO_get_ktls_send(SSL_get_wbio(ssl_.get()));
}

void TcpConnection::onInputChanged(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  // The owner consumed input: reading may resume under the limit.
  auto* self = static_cast<TcpConnection*>(arg);
  if (info->n_deleted > 0 && !self->read_armed_) self->updateReadInterest();
}

// --- writing -------------------------------------------------------------------------------

void TcpConnection::onOutputChanged(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  // Coalesce everything queued during this callback round into one writev at its end.
  auto* self = static_cast<TcpConnection*>(arg);
  if (info->n_added == 0 || self->flush_scheduled_ || self->write_armed_ || self->closed_) return;
  self->flush_scheduled_ = true;
  event_active(self->flush_event_.get(), EV_TIMEOUT, 0);
}

void TcpConnection::onFlushEvent(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  self->flush_scheduled_ = false;
  if (!self->write_armed_ && !self->connecting_) self->writeSome();
}

void TcpConnection::onWriteEvent(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (self->connecting_) return self->finishConnect();
  if (self->handshaking_) return self->continueHandshake();
  if (self->ssl_ && (self->pendingOutput() == 0 || self->tls_owes_write_)) {
    // Armed by a read that needed a write (TLS): try reading again, then write what waited.
    const bool owed = std::exchange(self->tls_owes_write_, false);
    event_del(self->write_event_.get());
    self->write_armed_ = false;
    self->readSome();
    if (owed && !self->closed_ && !self->tls_owes_write_ && self->pendingOutput() > 0 &&
        !self->write_armed_)
      self->writeSome();
    return;
  }
  self->writeSome();
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

void TcpConnection::writeSome() {
  if (closed_) return;
  if (handshaking_ || tls_owes_write_) return;  // output waits for the handshake, or OpenSSL
  if (!(ssl_ && !kernel_tls_send_ ? writeTls() : writePlain())) return;
  afterWrite();
}

void TcpConnection::writeNow(std::string_view first, std::string_view second) {
  size_t sent = 0;
  if ((!ssl_ || (kernel_tls_send_ && !tls_owes_write_)) && !connecting_ && !closed_ &&
      !write_armed_ && !fin_sent_ && pendingOutput() == 0) {
    iovec iov[2] = {{const_cast<char*>(first.data()), first.size()},
                    {const_cast<char*>(second.data()), second.size()}};
    const int n_iov = second.empty() ? 1 : 2;
    // send(2) for one piece: the socket path, without writev's VFS layer.
    ssize_t n = n_iov == 1 ? ::send(fd_, first.data(), first.size(), MSG_NOSIGNAL)
                           : ::writev(fd_, iov, n_iov);
    // An error is left for the queued path to meet again and report from the loop: failing
    // here would tear the connection down under its caller.
    if (n > 0) sent = static_cast<size_t>(n);
  }
  if (sent < first.size()) {
    evbuffer_add(output_.get(), first.data() + sent, first.size() - sent);
    sent = first.size();
  }
  const size_t into_second = sent - first.size();
  if (into_second < second.size())
    evbuffer_add(output_.get(), second.data() + into_second, second.size() - into_second);
}

// evbuffer_write() sends file segments (evbuffer_add_file_segment into a buffer flagged
// EVBUFFER_FLAG_DRAINS_TO_FD) with sendfile(2); only plain and kTLS connections may carry them,
// since writeTls() reads chunk memory. A sendfile that returns 0 with bytes still queued means the
// file is shorter than promised (truncated in place): no write will ever progress, so the
// connection fails rather than spinning on EPOLLOUT.
bool TcpConnection::writePlain() {
  // A big write (a file body after its head, a large proxied chunk) goes out corked, as nginx's
  // tcp_nopush does: the head rides in the first full segment instead of a tiny packet of its
  // own, which on loopback cut 1 MiB static responses to a fraction of nginx's rate (receiver
  // stalls of a delayed-ACK period). Uncorking at the end of the round pushes any partial segment
  // out at once, so nothing waits. Small writes skip the two syscalls.
  const bool cork = pendingOutput() > kCorkAbove;
  if (cork) setCork(true);
  if (!writePlainRound()) return false;  // failed: the owner may already have destroyed us
  if (cork) setCork(false);
  return true;
}

void TcpConnection::setCork(bool on) {
  int value = on ? 1 : 0;
  setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &value, sizeof value);  // fails harmlessly off TCP
}

bool TcpConnection::writePlainRound() {
  while (pendingOutput() > 0) {
    errno = 0;
    int n = evbuffer_write(output_.get(), fd_);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      fail(CloseReason::Error);
      return false;
    }
    if (n == 0) {
      // libevent reports a sendfile that would block (or was interrupted) as 0.
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      fail(CloseReason::Error);
      return false;
    }
  }
  return true;
}

bool TcpConnection::writeTls() {
  while (pendingOutput() > 0) {
    // One SSL_write per TLS record's worth: small chunks (HTTP/2 frames, response heads) are
    // gathered up to 16 KiB first, since each SSL_write is a record and a send(2) of its own.
    // A large chunk goes as it is, without a copy. A retry after WANT_WRITE never asks for
    // fewer bytes than the attempt before (OpenSSL's "bad length"): the front of the buffer only
    // grows until it is drained.
    evbuffer_iovec vec;
    if (evbuffer_peek(output_.get(), -1, nullptr, &vec, 1) < 1) break;
    const size_t pending = pendingOutput();
    if (vec.iov_len < kTlsRecordBytes && pending > vec.iov_len) {
      const size_t want = std::min(pending, kTlsRecordBytes);
      vec.iov_base = evbuffer_pullup(output_.get(), static_cast<ssize_t>(want));
      vec.iov_len = want;
      if (!vec.iov_base) break;
    }
    clearTlsErrors();
    size_t n = 0;
    if (SSL_write_ex(ssl_.get(), vec.iov_base, vec.iov_len, &n) == 1) {
      evbuffer_drain(output_.get(), n);
      continue;
    }
    int err = SSL_get_error(ssl_.get(), 0);
    if (err == SSL_ERROR_WANT_WRITE) break;
    if (err == SSL_ERROR_WANT_READ) {
      write_wants_read_ = true;
      updateReadInterest();
      return true;
    }
    ERR_clear_error();
    fail(CloseReason::Error);
    return false;
  }
  return true;
}

void TcpConnection::afterWrite() {
  const bool blocked = pendingOutput() > 0 && !write_wants_read_;
  if (blocked && !write_armed_) {
    event_add(write_event_.get(), nullptr);
    write_armed_ = true;
  } else if (!blocked && write_armed_) {
    event_del(write_event_.get());
    write_armed_ = false;
  }
  // Only a write event (the socket took bytes) or a flush after idle output gets here while
  // blocked: progress was made, or we just started waiting.
  if (blocked && writeTimeout().count() > 0)
    write_timer_.arm(writeTimeout());
  else if (!blocked)
    write_timer_.cancel();
  if (pendingOutput() == 0 && shutdown_pending_) sendFin();
  if (pendingOutput() <= low_watermark_) handler_->onDrained();
}

}  // namespace gatehouse::net
