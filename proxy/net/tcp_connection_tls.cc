// TcpConnection under TLS: the server-side handshake, and reading and writing through OpenSSL
// (kernel TLS sends as a plain connection does: tcp_connection_output.cc).
#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>

#include "proxy/net/tcp_connection.h"
#include "proxy/net/tls_errors.h"

namespace gatehouse::net {
namespace {
// The largest TLS plaintext record (RFC 8446 §5.1).
constexpr size_t kTlsRecordBytes = 16384;
// What small chunks are gathered into: a record less the chain header, so that the gathering
// fits a 16 KiB block (such as the one HTTP/2 makes room for) rather than take a 32 KiB one.
constexpr size_t kGatherBytes = kChunkIn16KiB;
}  // namespace

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

bool TcpConnection::writeTls() {
  while (pendingOutput() > 0) {
    // One SSL_write per TLS record's worth: chunks under half a record (HTTP/2 frames,
    // response heads) are gathered up to kGatherBytes first, since each SSL_write is a record
    // and a send(2) of its own. A larger chunk goes as it is, without a copy. A retry after
    // WANT_WRITE never asks for fewer bytes than the attempt before (OpenSSL's "bad length"): the
    // front of the buffer only grows until it is drained.
    evbuffer_iovec vec;
    if (evbuffer_peek(output_.get(), -1, nullptr, &vec, 1) < 1) break;
    const size_t pending = pendingOutput();
    if (vec.iov_len < kTlsRecordBytes / 2 && pending > vec.iov_len) {
      const size_t want = std::min(pending, kGatherBytes);
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

}  // namespace gatehouse::net
