#include "proxy/net/tls_client_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace gatehouse::net {
namespace {

std::string fileError(const std::string& origin, const std::string& path, const char* what) {
  return (origin.empty() ? path : origin) + ": " + what + ": " + takeOpensslErrors("unreadable");
}

bool isIpAddress(const std::string& name) {
  in6_addr v6;
  in_addr v4;
  return inet_pton(AF_INET, name.c_str(), &v4) == 1 || inet_pton(AF_INET6, name.c_str(), &v6) == 1;
}

}  // namespace

std::string opensslReason(unsigned long code) {
  // "certificate verify failed"; nothing for a code without a reason text (libevent stores
  // some of those beside the real one).
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : std::string();
}

std::string takeOpensslErrors(const std::string& fallback) {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    const std::string reason = opensslReason(code);
    if (reason.empty()) continue;
    if (!out.empty()) out += "; ";
    out += reason;
  }
  return out.empty() ? fallback : out;
}

Result<SslCtxPtr> makeTlsClientContext(const TlsClientFiles& files) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return Error{"cannot create a TLS context: " + takeOpensslErrors("out of memory")};
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (files.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1)
      return Error{"cannot load the system's trusted CAs: " + takeOpensslErrors("unknown")};
  } else if (SSL_CTX_load_verify_locations(ctx.get(), files.ca_file.c_str(), nullptr) != 1) {
    return Error{fileError(files.ca_origin, files.ca_file, "no CA certificate (PEM) in it")};
  }
  if (!files.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1)
      return Error{fileError(files.cert_origin, files.cert_file, "not a certificate chain (PEM)")};
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      // OpenSSL checks the pair here already: say which mistake it is in words.
      const bool other_key = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
      return Error{fileError(files.key_origin, files.key_file,
                             other_key ? "does not belong to the certificate of cert_file"
                                       : "not a private key (PEM)")};
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
      return Error{fileError(files.key_origin, files.key_file,
                             "does not belong to the certificate of cert_file")};
  }
  return ctx;
}

bool prepareClientSsl(SSL* ssl, const std::string& name) {
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (isIpAddress(name)) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
  return SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
         X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), name.c_str(), 0) == 1;
}

}  // namespace gatehouse::net
