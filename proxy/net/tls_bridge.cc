#include "proxy/net/tls_bridge.h"

#include <event2/bufferevent_ssl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace gatehouse::net {

struct TlsBridge::Relay {
  TlsBridge* bridge = nullptr;
  BuffereventPtr local;   // the accepted connection of the client (hiredis)
  BuffereventPtr remote;  // TLS to the server (bufferevent_openssl; frees its SSL)
  bool handshaken = false;
  bool answered = false;  // the server has sent a byte of its own (past the handshake)
  bool closing = false;   // one side ended: the other flushes what it holds, then both close
  bufferevent* flushing = nullptr;  // that other side, while closing

  bufferevent* partner(bufferevent* bev) const {
    return bev == local.get() ? remote.get() : local.get();
  }
};

namespace {

std::string privateDirectoryTemplate() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp";
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  return dir + "/gatehouse-tls-XXXXXX";
}

// The socket error of a failed connect, as the kernel gave it.
std::string socketError(bufferevent* bev) {
  int err = 0;
  socklen_t len = sizeof err;
  const evutil_socket_t fd = bufferevent_getfd(bev);
  if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
    return std::strerror(err);
  return errno != 0 ? std::strerror(errno) : "connection failed";
}

}  // namespace

Result<std::unique_ptr<TlsBridge>> TlsBridge::open(event_base* base, Target target, SslCtxPtr ctx,
                                                   size_t window) {
  std::unique_ptr<TlsBridge> self(new TlsBridge());
  self->base_ = base;
  self->target_ = std::move(target);
  if (self->target_.name.empty()) self->target_.name = self->target_.host;
  self->ctx_ = std::move(ctx);
  self->window_ = std::max<size_t>(window, 4096);

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(self->target_.port);
  if (int rc = getaddrinfo(self->target_.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Error{"cannot resolve " + self->target_.host + ": " + gai_strerror(rc)};
  std::memcpy(&self->address_, found->ai_addr, found->ai_addrlen);
  self->address_len_ = found->ai_addrlen;
  freeaddrinfo(found);

  std::string dir = privateDirectoryTemplate();
  if (::mkdtemp(dir.data()) == nullptr)  // mode 0700: only this user may reach the socket
    return Error{"cannot make a private directory like " + privateDirectoryTemplate() + ": " +
                 std::strerror(errno)};
  self->dir_ = dir;
  self->socket_path_ = dir + "/redis.sock";
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (self->socket_path_.size() >= sizeof un.sun_path)
    return Error{"the bridge's socket path " + self->socket_path_ + " is too long (set TMPDIR)"};
  std::memcpy(un.sun_path, self->socket_path_.c_str(), self->socket_path_.size() + 1);
  self->listener_.reset(evconnlistener_new_bind(base, &TlsBridge::onAccept, self.get(),
                                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 8,
                                                reinterpret_cast<sockaddr*>(&un), sizeof un));
  if (!self->listener_)
    return Error{"cannot listen on " + self->socket_path_ + ": " + std::strerror(errno)};
  return self;
}

TlsBridge::~TlsBridge() {
  relays_.clear();  // frees the bufferevents: both sides' sockets close
  listener_.reset();
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

std::string TlsBridge::where() const {
  return target_.host + ":" + std::to_string(target_.port);
}

void TlsBridge::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* self) {
  static_cast<TlsBridge*>(self)->accept(fd);
}

void TlsBridge::accept(evutil_socket_t fd) {
  // The directory keeps other users out; this keeps out other processes of the same user.
  ucred peer{};
  socklen_t peer_len = sizeof peer;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0 || peer.pid != getpid()) {
    evutil_closesocket(fd);
    return;
  }
  auto relay = std::make_unique<Relay>();
  relay->bridge = this;
  // Deferred callbacks: passing bytes to one side (or closing it) never calls back into the
  // relay from inside the other side's callback, where the relay may then be gone.
  constexpr int kOptions = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
  relay->local.reset(bufferevent_socket_new(base_, fd, kOptions));
  if (!relay->local) {
    evutil_closesocket(fd);
    return;
  }
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx_.get());
  if (ssl == nullptr || !prepareClientSsl(ssl, target_.name)) {
    if (error_.empty()) {
      error_ = "TLS to " + where() + ": cannot check the name \"" + target_.name +
               "\": " + takeOpensslErrors("refused by OpenSSL");
      tls_failed_ = true;
    }
    SSL_free(ssl);
    return;  // the client sees its connection close
  }
  relay->remote.reset(
      bufferevent_openssl_socket_new(base_, -1, ssl, BUFFEREVENT_SSL_CONNECTING, kOptions));
  if (!relay->remote) return;
  // Redis closes without close_notify: that is the end of the stream, not an attack.
  bufferevent_openssl_set_allow_dirty_shutdown(relay->remote.get(), 1);
  for (bufferevent* bev : {relay->local.get(), relay->remote.get()}) {
    bufferevent_setcb(bev, &TlsBridge::onRead, &TlsBridge::onWrite, &TlsBridge::onEvent,
                      relay.get());
    // Told when the output fell to half the window: the partner may read again.
    bufferevent_setwatermark(bev, EV_WRITE, window_ / 2, 0);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
  }
  if (bufferevent_socket_connect(relay->remote.get(), reinterpret_cast<sockaddr*>(&address_),
                                 static_cast<int>(address_len_)) != 0) {
    if (error_.empty()) error_ = "connecting to " + where() + ": " + std::strerror(errno);
    return;
  }
  // Small commands and answers: no Nagle delay (hiredis sets the same on its TCP links).
  const int one = 1;
  setsockopt(bufferevent_getfd(relay->remote.get()), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  relays_.push_back(std::move(relay));
}

void TlsBridge::onRead(bufferevent* bev, void* arg) {
  auto* relay = static_cast<Relay*>(arg);
  if (bev == relay->remote.get()) relay->answered = true;
  bufferevent* other = relay->partner(bev);
  evbuffer* out = bufferevent_get_output(other);
  evbuffer_add_buffer(out, bufferevent_get_input(bev));
  if (evbuffer_get_length(out) >= relay->bridge->window_) bufferevent_disable(bev, EV_READ);
}

void TlsBridge::onWrite(bufferevent* bev, void* arg) {
  auto* relay = static_cast<Relay*>(arg);
  if (relay->closing) {
    if (bev == relay->flushing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
      relay->bridge->close(*relay);
    return;
  }
  bufferevent* other = relay->partner(bev);
  if (!(bufferevent_get_enabled(other) & EV_READ)) bufferevent_enable(other, EV_READ);
}

void TlsBridge::onEvent(bufferevent* bev, short what, void* arg) {
  auto* relay = static_cast<Relay*>(arg);
  TlsBridge* self = relay->bridge;
  if (what & BEV_EVENT_CONNECTED) {
    relay->handshaken = true;
    return;
  }
  // The server ending before a byte of its own is a refusal too: TLS 1.3 checks our certificate
  // after our side of the handshake is done.
  if ((what & BEV_EVENT_ERROR) ||
      (bev == relay->remote.get() && (!relay->handshaken || !relay->answered)))
    return self->fail(*relay, bev, what);
  if (!(what & BEV_EVENT_EOF)) return;
  if (relay->closing) return self->close(*relay);  // both sides have ended
  // One side ended: pass on what it sent, let the other flush, then close both.
  bufferevent* other = relay->partner(bev);
  evbuffer* out = bufferevent_get_output(other);
  evbuffer_add_buffer(out, bufferevent_get_input(bev));
  relay->closing = true;
  relay->flushing = other;
  bufferevent_disable(bev, EV_READ);
  bufferevent_disable(other, EV_READ);
  if (evbuffer_get_length(out) == 0) return self->close(*relay);
  bufferevent_setwatermark(other, EV_WRITE, 0, 0);  // onWrite once it is all out
}

void TlsBridge::fail(Relay& relay, bufferevent* bev, short what) {
  if (bev == relay.remote.get() && error_.empty()) {
    std::string reasons;
    while (unsigned long code = bufferevent_get_openssl_error(bev)) {
      const std::string reason = opensslReason(code);
      if (reason.empty()) continue;
      if (!reasons.empty()) reasons += "; ";
      reasons += reason;
    }
    SSL* ssl = bufferevent_openssl_get_ssl(bev);
    if (reasons.empty() && relay.handshaken) reasons = pendingAlert(ssl);
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      if (reasons.empty()) reasons = "certificate verify failed";
      reasons += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    }
    const std::string stage = relay.handshaken ? "TLS with " : "TLS handshake with ";
    // Not a byte of the ClientHello went out: TCP never connected (refused, unreachable), a
    // network failure, not TLS's. (libevent reports it as an EOF, dirty shutdowns allowed.)
    const bool tcp_failed = BIO_number_written(SSL_get_wbio(bufferevent_openssl_get_ssl(bev))) == 0;
    if (tcp_failed && reasons.empty()) {
      error_ = "connecting to " + where() + ": " + socketError(bev);
    } else if (!reasons.empty()) {
      error_ = stage + where() + " failed: " + reasons;
      tls_failed_ = true;
    } else if (what & BEV_EVENT_EOF) {  // before the handshake finished
      error_ = stage + where() + " failed: the server closed the connection";
      tls_failed_ = true;
    } else {
      error_ = "connecting to " + where() + ": " + socketError(bev);
    }
  }
  close(relay);
}

// A server that refuses us once the handshake is done (TLS 1.3: a client certificate it wanted)
// sends an alert and closes. When our first write meets that close, libevent reports the write's
// failure (a "dirty" end) and the alert is still unread in the socket: read it, for its reason.
std::string TlsBridge::pendingAlert(SSL* ssl) {
  ERR_clear_error();
  char byte = 0;
  if (SSL_read(ssl, &byte, 1) > 0) return {};
  return takeOpensslErrors("");
}

void TlsBridge::close(Relay& relay) {
  auto it = std::find_if(relays_.begin(), relays_.end(),
                         [&](const std::unique_ptr<Relay>& r) { return r.get() == &relay; });
  if (it != relays_.end()) relays_.erase(it);  // libevent allows freeing from a callback
}

}  // namespace gatehouse::net
