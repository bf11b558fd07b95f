#pragma once
// Bearer-token authentication of admin requests (RFC 6750 §2.1: `Authorization: Bearer TOKEN`).
//
// The comparison must not tell an attacker how much of a guess was right, nor how long the
// token is. So neither the presented token nor the real one is compared directly: both are
// reduced to HMAC-SHA256 digests under a key drawn at random when the object is built, and the
// two 32-byte digests are compared with CRYPTO_memcmp. Every guess then costs the same, whatever
// its length or prefix, and the key keeps the digest of the real token from being precomputed.

#include <array>
#include <string_view>

namespace gatehouse::admin {

class BearerAuth {
 public:
  enum class Verdict { Admitted, Missing, WrongScheme, WrongToken };

  explicit BearerAuth(std::string_view token);

  // `authorization`: the Authorization field value (OWS-trimmed), empty when absent. The scheme
  // is case-insensitive (RFC 9110 §11.1); one or more spaces separate it from the token.
  Verdict check(std::string_view authorization) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  Digest digestOf(std::string_view token) const;

  std::array<unsigned char, 32> key_{};
  Digest token_digest_{};
};

// For the 401 answer and the log: "missing token", "not a Bearer token", "wrong token".
std::string_view describe(BearerAuth::Verdict verdict);

}  // namespace gatehouse::admin
