#pragma once
// Server-side TLS for one listener: one SSL_CTX per certificate chain, picked by SNI (exact
// and wildcard names from each certificate; the first chain is the default), ALPN, protocol
// floor, cipher lists, optional OCSP staple per chain, and session tickets whose keys are
// shared by every worker and rotated (TicketKeys). Immutable once built; a reload builds a
// new one and new handshakes use it while established connections keep theirs.

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/base/duration.h"
#include "proxy/base/result.h"

namespace gatehouse::net {

struct TlsCertificateFiles {
  std::string cert;  // PEM chain, leaf first
  std::string key;   // PEM private key (RSA or ECDSA)
  std::string ocsp;  // optional DER OCSP response to staple
};

struct TlsSettings {
  std::vector<TlsCertificateFiles> certificates;       // at least one; the first is the default
  std::string min_version = "TLSv1.2";                 // TLSv1.2 | TLSv1.3
  std::string ciphers;                                 // TLS 1.2 cipher list; empty: modern default
  std::string ciphersuites;                            // TLS 1.3 suites; empty: AES-128-GCM first
  std::vector<std::string> alpn = {"h2", "http/1.1"};  // in server preference order
  // Resumption, each switchable as nginx's ssl_session_tickets and HAProxy's no-tls-tickets:
  // tickets (stateless, keys shared by every worker and rotated) and the session cache
  // (session IDs and TLS 1.3 stateful tickets, in the listener's context, kSessionCacheSize).
  bool session_tickets = true;
  bool session_cache = true;
};

// A certificate's validity end, for the expiry warnings and the not-after gauge.
struct CertificateExpiry {
  std::string cert;  // the chain file
  std::chrono::system_clock::time_point not_after;
};

// Session-ticket keys shared by all listeners and workers. A new key encrypts every
// `rotation`; the previous one still decrypts for one more period, so a ticket lives between
// one and two periods.
class TicketKeys {
 public:
  explicit TicketKeys(Duration rotation = Duration(12 * 3600 * 1000));
  ~TicketKeys();
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;
  // For SSL_CTX_set_tlsext_ticket_key_evp_cb: returns 1 (ok), 2 (ok, renew), 0 or -1.
  int callback(unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
               EVP_MAC_CTX* mac, int encrypt);

 private:
  struct Key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
  };
  void rotateIfDue();  // caller holds mutex_
  Key fresh() const;

  // Fetched once: EVP_aes_256_cbc() in EncryptInit would look the cipher up in the provider
  // store again on every ticket (OpenSSL 3's implicit fetch), a lock and a hash lookup each.
  // Null if the fetch failed; the callback then falls back to the implicit fetch.
  EVP_CIPHER* cipher_ = nullptr;
  std::mutex mutex_;
  Duration rotation_;
  std::chrono::steady_clock::time_point rotated_at_;
  Key current_;
  Key previous_;
  bool has_previous_ = false;
};

class TlsContext {
 public:
  // Loads and checks every file. Errors name the file: "tls: cannot load key
  // /etc/x.key: ...", "tls: /etc/x.key does not match /etc/x.pem".
  static Result<std::shared_ptr<TlsContext>> create(const TlsSettings& settings,
                                                    std::shared_ptr<TicketKeys> keys);
  ~TlsContext();
  // Loads one chain on its own: the PEM parses, the key matches. The error names the file.
  static Result<void> checkCertificate(const TlsCertificateFiles& files);

  // A new server-side SSL for an accepted connection (null on allocation failure).
  SSL* newSsl() const;

  // The leaf certificate of each chain, in settings order.
  std::vector<CertificateExpiry> certificates() const;

  // Sessions the cache holds per listener (OpenSSL's default is 20480 too).
  static constexpr long kSessionCacheSize = 20480;

 private:
  struct Chain;
  TlsContext() = default;
  static int onServerName(SSL* ssl, int* alert, void* arg);
  static int onAlpn(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                    const unsigned char* in, unsigned int inlen, void* arg);
  static int onTicketKey(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                         EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);
  static int onOcspStatus(SSL* ssl, void* arg);
  const Chain* chainFor(std::string_view server_name) const;

  std::vector<std::unique_ptr<Chain>> chains_;
  std::vector<unsigned char> alpn_wire_;  // length-prefixed protocol list
  std::shared_ptr<TicketKeys> ticket_keys_;
};

}  // namespace gatehouse::net
