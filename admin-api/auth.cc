#include "admin-api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "proxy/base/ascii.h"

namespace gatehouse::admin {

BearerAuth::BearerAuth(std::string_view token) {
  // Without randomness the digests would still compare in constant time, but a weak key is not
  // something to run with silently: refuse to start instead.
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) std::abort();
  token_digest_ = digestOf(token);
}

BearerAuth::Digest BearerAuth::digestOf(std::string_view token) const {
  Digest digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data(), &length);
  return digest;
}

BearerAuth::Verdict BearerAuth::check(std::string_view authorization) const {
  if (authorization.empty()) return Verdict::Missing;
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !ascii::iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ')
    return Verdict::WrongScheme;
  std::string_view presented = authorization.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ')
    presented.remove_prefix(1);
  // Digest even an empty token, so that every request that names the scheme costs the same.
  const Digest digest = digestOf(presented);
  const bool same = CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
  return same && !presented.empty() ? Verdict::Admitted : Verdict::WrongToken;
}

std::string_view describe(BearerAuth::Verdict verdict) {
  switch (verdict) {
    case BearerAuth::Verdict::Admitted:
      return "admitted";
    case BearerAuth::Verdict::Missing:
      return "missing token (send Authorization: Bearer TOKEN)";
    case BearerAuth::Verdict::WrongScheme:
      return "not a Bearer token";
    case BearerAuth::Verdict::WrongToken:
      return "wrong token";
  }
  return "wrong token";
}

}  // namespace gatehouse::admin
