// BearerAuth: the verdicts, scheme handling, and tokens that differ only in length or case.
#include "admin-api/auth.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::admin {
namespace {

using Verdict = BearerAuth::Verdict;

TEST(BearerAuth, AdmitsTheRightToken) {
  BearerAuth auth("s3cret-token");
  EXPECT_EQ(auth.check("Bearer s3cret-token"), Verdict::Admitted);
}

TEST(BearerAuth, TakesTheSchemeInAnyCaseAndSpacesBeforeTheToken) {
  BearerAuth auth("s3cret-token");
  EXPECT_EQ(auth.check("bearer s3cret-token"), Verdict::Admitted);
  EXPECT_EQ(auth.check("BEARER   s3cret-token"), Verdict::Admitted);
}

TEST(BearerAuth, RefusesAWrongToken) {
  BearerAuth auth("s3cret-token");
  EXPECT_EQ(auth.check("Bearer s3cret-tokeN"), Verdict::WrongToken);
  EXPECT_EQ(auth.check("Bearer S3CRET-TOKEN"), Verdict::WrongToken);
  EXPECT_EQ(auth.check("Bearer x"), Verdict::WrongToken);
}

TEST(BearerAuth, RefusesTokensOfADifferentLengthIncludingPrefixesAndExtensions) {
  BearerAuth auth("s3cret-token");
  EXPECT_EQ(auth.check("Bearer s3cret"), Verdict::WrongToken);
  EXPECT_EQ(auth.check("Bearer s3cret-token2"), Verdict::WrongToken);
  EXPECT_EQ(auth.check("Bearer s3cret-token s3cret-token"), Verdict::WrongToken);
  EXPECT_EQ(auth.check("Bearer " + std::string(10000, 'a')), Verdict::WrongToken);
}

TEST(BearerAuth, RefusesAMissingHeaderAndAMissingToken) {
  BearerAuth auth("s3cret-token");
  EXPECT_EQ(auth.check(""), Verdict::Missing);
  EXPECT_EQ(auth.check("Bearer "), Verdict::WrongToken);
  EXPECT_EQ(auth.check("Bearer"), Verdict::WrongScheme);
}

TEST(BearerAuth, RefusesOtherSchemes) {
  BearerAuth auth("s3cret-token");
  EXPECT_EQ(auth.check("Basic czNjcmV0LXRva2Vu"), Verdict::WrongScheme);
  EXPECT_EQ(auth.check("Token s3cret-token"), Verdict::WrongScheme);
  EXPECT_EQ(auth.check("Bearers3cret-token"), Verdict::WrongScheme);
  EXPECT_EQ(auth.check("s3cret-token"), Verdict::WrongScheme);
}

TEST(BearerAuth, TwoInstancesWithTheSameTokenAgree) {
  // Each draws its own HMAC key; the verdict must not depend on it.
  BearerAuth a("t"), b("t");
  EXPECT_EQ(a.check("Bearer t"), Verdict::Admitted);
  EXPECT_EQ(b.check("Bearer t"), Verdict::Admitted);
  EXPECT_EQ(a.check("Bearer u"), Verdict::WrongToken);
}

}  // namespace
}  // namespace gatehouse::admin
