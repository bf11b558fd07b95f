#pragma once
// Client-side TLS: an SSL_CTX that verifies the server it talks to (the system's CAs, or the
// CA file given) and may present a client certificate. Used by the TLS bridge (tls_bridge.h)
// that carries the cluster's Redis links. The name to check is set per connection
// (prepareClientSsl), since one context may reach several servers.

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "proxy/base/result.h"

namespace gatehouse::net {

struct TlsClientFiles {
  std::string ca_file;    // empty: the system's trust store (SSL_CTX_set_default_verify_paths)
  std::string cert_file;  // optional client certificate chain (PEM), with key_file
  std::string key_file;
  // How errors name each file ("FILE:LINE:COL: cluster.tls.ca_file"); the path when empty.
  std::string ca_origin;
  std::string cert_origin;
  std::string key_origin;
};

using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// TLS 1.2 at least, the peer's certificate verified (SSL_VERIFY_PEER). An error names the file
// that OpenSSL refused and why.
Result<SslCtxPtr> makeTlsClientContext(const TlsClientFiles& files);

// Sets on `ssl` the name the server's certificate must carry: a DNS name (also sent as SNI)
// or an IP address (checked against the certificate's IP addresses; no SNI, RFC 6066 §3).
// False when OpenSSL refuses the name.
bool prepareClientSsl(SSL* ssl, const std::string& name);

// The reason of one OpenSSL error code ("certificate verify failed"); empty when it has none.
std::string opensslReason(unsigned long code);

// The reasons in this thread's OpenSSL error queue, oldest first, joined by "; " (and the queue
// emptied); `fallback` when it is empty.
std::string takeOpensslErrors(const std::string& fallback);

}  // namespace gatehouse::net
