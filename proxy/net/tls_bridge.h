#pragma once
// An in-process TLS bridge: a private Unix socket whose every connection is relayed, byte for
// byte, over its own TLS connection to one server. It lets a client library without TLS
// (hiredis 0.14, for the cluster's Redis links) reach a TLS-only server: the library connects
// to socketPath(), the bridge does the TLS.
//
// Private: the socket lives in a 0700 directory made for it (mkdtemp under $TMPDIR or /tmp),
// and a connection from any other process (SO_PEERCRED) is closed at once. Both go with the
// bridge. Each relay is two bufferevents on the bridge's loop: a plain one on the accepted
// connection, an OpenSSL one (bufferevent_openssl) on the outbound socket; what one side reads
// goes to the other's output, and a side stops reading while the other's output holds more
// than `window` bytes (backpressure both ways). Either side closing closes both, after what
// was read has been passed on. The server's certificate is verified by the context's rules
// (tls_client_context.h) against `name`; a failure is kept, with OpenSSL's reason, for the
// owner to report (error()), since its client only sees the connection close.

#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/net/tls_client_context.h"

namespace gatehouse::net {

class TlsBridge {
 public:
  struct Target {
    std::string host;  // a literal address, or a name resolved (blocking, once) by open()
    uint16_t port = 0;
    std::string name;  // what the certificate must carry (and SNI); empty: host
  };
  static constexpr size_t kDefaultWindow = 256 * 1024;

  // Makes the directory and the listening socket and resolves the target; nothing is
  // connected until a client connects to socketPath().
  static Result<std::unique_ptr<TlsBridge>> open(event_base* base, Target target, SslCtxPtr ctx,
                                                 size_t window = kDefaultWindow);
  ~TlsBridge();  // closes every relay and the socket, removes the directory
  TlsBridge(const TlsBridge&) = delete;
  TlsBridge& operator=(const TlsBridge&) = delete;

  const std::string& socketPath() const { return socket_path_; }
  // The first failure toward the server ("TLS handshake with HOST:PORT failed: certificate
  // verify failed (unable to get local issuer certificate)", "connecting to HOST:PORT:
  // Connection refused"); empty while there is none.
  const std::string& error() const { return error_; }
  // Whether that failure was TLS's (handshake, certificate, alert) rather than the network's.
  bool tlsFailed() const { return tls_failed_; }
  size_t relays() const { return relays_.size(); }

 private:
  struct Relay;
  TlsBridge() = default;
  static void onAccept(evconnlistener* listener, evutil_socket_t fd, sockaddr* addr, int len,
                       void* self);
  static void onRead(bufferevent* bev, void* relay);
  static void onWrite(bufferevent* bev, void* relay);
  static void onEvent(bufferevent* bev, short what, void* relay);
  void accept(evutil_socket_t fd);
  void fail(Relay& relay, bufferevent* bev, short what);
  static std::string pendingAlert(SSL* ssl);
  void close(Relay& relay);
  std::string where() const;

  event_base* base_ = nullptr;
  Target target_;
  SslCtxPtr ctx_;
  size_t window_ = kDefaultWindow;
  sockaddr_storage address_{};
  socklen_t address_len_ = 0;
  std::string dir_;
  std::string socket_path_;
  ListenerPtr listener_;
  std::vector<std::unique_ptr<Relay>> relays_;
  std::string error_;
  bool tls_failed_ = false;
};

}  // namespace gatehouse::net
