#include "proxy/net/tls_context.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "proxy/base/ascii.h"

namespace gatehouse::net {

struct TlsContext::Chain {
  SSL_CTX* ctx = nullptr;
  std::string cert_file;
  std::vector<std::string> names;  // lowercase DNS names, "*.example.com" for wildcards
  std::string ocsp_der;
  ~Chain() { SSL_CTX_free(ctx); }
};

namespace {

// Why a key file cannot be loaded. A key the service user cannot read is the common case
// (certbot writes its keys 0600 root) and gets the fix; anything else is OpenSSL's reason.
std::string keyLoadError(const std::string& key, const std::string& ssl_reason) {
  if (::access(key.c_str(), R_OK) != 0 && errno == EACCES) {
    return fmt::format(
        "cannot load key {}: permission denied for uid {} (see gatehouse(8), TLS KEYS: "
        "chmod 0640 KEY with the gatehouse group, or LoadCredential=)",
        key, ::getuid());
  }
  return fmt::format("cannot load key {}: {}", key, ssl_reason);
}

std::string lastSslError() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = ascii::toLower(c);
  return out;
}

// The DNS names a certificate is valid for: its SANs, or its CN when it has none.
std::vector<std::string> certificateNames(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_DNS) continue;
      const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName));
      names.push_back(lower(std::string_view(data, ASN1_STRING_length(gn->d.dNSName))));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      names.push_back(lower(cn));
  }
  return names;
}

bool nameMatches(std::string_view pattern, std::string_view host) {
  if (pattern == host) return true;
  if (!pattern.starts_with("*.")) return false;
  // A wildcard covers exactly one label: *.example.com matches a.example.com only.
  size_t dot = host.find('.');
  return dot != std::string_view::npos && dot > 0 && host.substr(dot) == pattern.substr(1);
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("tls: cannot read {}: {}", path, std::strerror(errno))};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// TLS 1.3 suites when none are configured: OpenSSL's default three, AES-128-GCM first. With
// server preference OpenSSL's own order picks AES-256-GCM-SHA384 for every client, and its
// SHA-384 transcript hash and key schedule cost 4% more instructions per full handshake than
// SHA-256 (callgrind). Browsers and Mozilla's recommended configuration put AES-128-GCM first
// too; a client that offers only the others still gets them.
constexpr char kDefaultCiphersuites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

int ticketKeysIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

// --- ticket keys ---------------------------------------------------------------------------

TicketKeys::TicketKeys(Duration rotation)
    : cipher_(EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr)),
      rotation_(rotation),
      rotated_at_(std::chrono::steady_clock::now()),
      current_(fresh()) {}

TicketKeys::~TicketKeys() {
  EVP_CIPHER_free(cipher_);
}

TicketKeys::Key TicketKeys::fresh() const {
  Key k;
  RAND_bytes(k.name, sizeof k.name);
  RAND_bytes(k.aes, sizeof k.aes);
  RAND_bytes(k.hmac, sizeof k.hmac);
  return k;
}

void TicketKeys::rotateIfDue() {
  auto now = std::chrono::steady_clock::now();
  if (now - rotated_at_ < rotation_) return;
  previous_ = current_;
  has_previous_ = true;
  current_ = fresh();
  rotated_at_ = now;
}

int TicketKeys::callback(unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                         EVP_MAC_CTX* mac, int encrypt) {
  Key key;
  bool is_current = true;
  {
    std::lock_guard lock(mutex_);
    rotateIfDue();
    if (encrypt) {
      key = current_;
    } else if (std::memcmp(key_name, current_.name, 16) == 0) {
      key = current_;
    } else if (has_previous_ && std::memcmp(key_name, previous_.name, 16) == 0) {
      key = previous_;
      is_current = false;
    } else {
      return 0;  // unknown key: full handshake, and a new ticket
    }
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac, sizeof key.hmac),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  const EVP_CIPHER* aes = cipher_ ? cipher_ : EVP_aes_256_cbc();
  if (encrypt) {
    std::memcpy(key_name, key.name, 16);
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    if (EVP_EncryptInit_ex(cipher, aes, nullptr, key.aes, iv) != 1) return -1;
    return 1;
  }
  if (EVP_DecryptInit_ex(cipher, aes, nullptr, key.aes, iv) != 1) return -1;
  return is_current ? 1 : 2;  // 2: accept, and issue a ticket under the current key
}

// --- context -------------------------------------------------------------------------------

TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::create(const TlsSettings& settings,
                                                       std::shared_ptr<TicketKeys> keys) {
  std::shared_ptr<TlsContext> self(new TlsContext());
  self->ticket_keys_ = std::move(keys);
  for (const std::string& proto : settings.alpn) {
    if (proto.empty() || proto.size() > 255) return Error{"tls: bad alpn protocol name"};
    self->alpn_wire_.push_back(static_cast<unsigned char>(proto.size()));
    self->alpn_wire_.insert(self->alpn_wire_.end(), proto.begin(), proto.end());
  }
  if (settings.certificates.empty()) return Error{"tls: no certificates"};
  for (const TlsCertificateFiles& files : settings.certificates) {
    auto chain = std::make_unique<Chain>();
    chain->ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX* ctx = chain->ctx;
    if (!ctx) return Error{"tls: " + lastSslError()};
    SSL_CTX_set_min_proto_version(
        ctx, settings.min_version == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    // ENABLE_KTLS: after the handshake OpenSSL hands the keys to the kernel's `tls` module
    // where there is one, and static files then go out with sendfile(2) like plain ones
    // (TcpConnection::kernelTlsSend()). Without the module the setsockopt fails (one syscall
    // per handshake; never a module load, which needs CAP_NET_ADMIN) and TLS stays in user space.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_ENABLE_KTLS);
    // Partial writes from evbuffer chunks; freed buffers while idle (memory per connection).
    // NO_AUTO_CHAIN: the chain file is what we send. Without it OpenSSL tries, on every
    // handshake whose file holds the leaf alone, to complete the chain from the context's
    // certificate store (an X509_verify_cert each time) -- a store we never fill, so the
    // search only ever costs time (nginx and haproxy set the flag too).
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
    const std::string ciphers =
        settings.ciphers.empty() ? "ECDHE+AESGCM:ECDHE+CHACHA20" : settings.ciphers;
    if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1)
      return Error{fmt::format("tls: bad ciphers \"{}\"", ciphers)};
    const std::string suites =
        settings.ciphersuites.empty() ? kDefaultCiphersuites : settings.ciphersuites;
    if (SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1)
      return Error{fmt::format("tls: bad ciphersuites \"{}\"", suites)};
    if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1)
      return Error{fmt::format("tls: cannot load certificate {}: {}", files.cert, lastSslError())};
    if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
      return Error{"tls: " + keyLoadError(files.key, lastSslError())};
    if (SSL_CTX_check_private_key(ctx) != 1)
      return Error{fmt::format("tls: key {} does not match certificate {}", files.key, files.cert)};
    if (!files.ocsp.empty()) {
      auto der = readFile(files.ocsp);
      if (!der) return der.error();
      chain->ocsp_der = std::move(*der);
    }
    chain->names = certificateNames(SSL_CTX_get0_certificate(ctx));
    chain->cert_file = files.cert;
    // Tickets are encrypted under keys every worker shares; the session cache lives in the
    // context, which every worker's connections share too (OpenSSL locks it). Resumption
    // looks in the default chain's cache whatever SNI picked (OpenSSL's session_ctx).
    if (settings.session_cache) {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
      SSL_CTX_sess_set_cache_size(ctx, kSessionCacheSize);
    } else {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    if (!settings.session_tickets) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    // One TLS 1.3 ticket per handshake, not OpenSSL's two: a ticket is single-use (RFC 8446
    // C.4) and every resumption hands out a fresh one, so a client resuming connection after
    // connection never runs short; a second ticket only helps one that opens two at once
    // right after its first handshake, and costs every full handshake an encryption and a
    // record (~2% of its instructions, callgrind).
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>("gatehouse"), 9);
    SSL_CTX_set_ex_data(ctx, ticketKeysIndex(), self->ticket_keys_.get());
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TlsContext::onTicketKey);
    SSL_CTX_set_alpn_select_cb(ctx, &TlsContext::onAlpn, self.get());
    SSL_CTX_set_tlsext_status_cb(ctx, &TlsContext::onOcspStatus);
    SSL_CTX_set_tlsext_status_arg(ctx, chain.get());
    self->chains_.push_back(std::move(chain));
  }
  SSL_CTX* first = self->chains_.front()->ctx;
  SSL_CTX_set_tlsext_servername_callback(first, &TlsContext::onServerName);
  SSL_CTX_set_tlsext_servername_arg(first, self.get());
  return self;
}

Result<void> TlsContext::checkCertificate(const TlsCertificateFiles& files) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  if (!ctx) return Error{"tls: " + lastSslError()};
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert.c_str()) != 1)
    return Error{fmt::format("cannot load certificate {}: {}", files.cert, lastSslError())};
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return Error{keyLoadError(files.key, lastSslError())};
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return Error{fmt::format("key {} does not match certificate {}", files.key, files.cert)};
  }
  return {};
}

std::vector<CertificateExpiry> TlsContext::certificates() const {
  std::vector<CertificateExpiry> out;
  for (const auto& chain : chains_) {
    CertificateExpiry e;
    e.cert = chain->cert_file;
    const X509* leaf = SSL_CTX_get0_certificate(chain->ctx);
    std::tm tm{};
    if (leaf && ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1)
      e.not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
    out.push_back(std::move(e));
  }
  return out;
}

SSL* TlsContext::newSsl() const {
  return SSL_new(chains_.front()->ctx);
}

const TlsContext::Chain* TlsContext::chainFor(std::string_view server_name) const {
  std::string host = lower(server_name);
  for (const auto& chain : chains_)
    for (const std::string& name : chain->names)
      if (name == host) return chain.get();
  for (const auto& chain : chains_)
    for (const std::string& name : chain->names)
      if (nameMatches(name, host)) return chain.get();
  return nullptr;
}

int TlsContext::onServerName(SSL* ssl, int*, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;  // no SNI: the default chain
  const Chain* chain = static_cast<TlsContext*>(arg)->chainFor(name);
  if (chain && chain->ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chain->ctx);
  return SSL_TLSEXT_ERR_OK;
}

int TlsContext::onAlpn(SSL*, const unsigned char** out, unsigned char* outlen,
                       const unsigned char* in, unsigned int inlen, void* arg) {
  auto* self = static_cast<TlsContext*>(arg);
  unsigned char* selected = nullptr;
  // Server preference: the first of our protocols that the client offers.
  if (SSL_select_next_proto(&selected, outlen, self->alpn_wire_.data(),
                            static_cast<unsigned>(self->alpn_wire_.size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;  // no overlap: carry on without ALPN (HTTP/1.1)
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int TlsContext::onTicketKey(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                            EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  auto* keys =
      static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ticketKeysIndex()));
  return keys ? keys->callback(key_name, iv, cipher, mac, encrypt) : -1;
}

int TlsContext::onOcspStatus(SSL* ssl, void* arg) {
  const auto* chain = static_cast<const Chain*>(arg);
  if (chain->ocsp_der.empty()) return SSL_TLSEXT_ERR_NOACK;
  auto* copy =
      static_cast<unsigned char*>(OPENSSL_memdup(chain->ocsp_der.data(), chain->ocsp_der.size()));
  if (!copy) return SSL_TLSEXT_ERR_NOACK;
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(chain->ocsp_der.size()));
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace gatehouse::net
