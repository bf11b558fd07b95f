// TcpConnection, the output side: what is queued during a loop pass goes out in one write at its
// end (or at once, writeNow()), the write event is armed only while the kernel buffer is full,
// and the owner hears onDrained() at the low watermark.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "proxy/net/tcp_connection.h"

namespace gatehouse::net {
namespace {
constexpr size_t kCorkAbove = 64 * 1024;
}  // namespace

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
