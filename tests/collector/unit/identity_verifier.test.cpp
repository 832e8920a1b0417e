#include <doctest/doctest.h>

#include "identity_verifier.hpp"

namespace tc = touchpoint::collector;

TEST_CASE("identity: HMAC-SHA256 matches RFC 4231 test case 2") {
  CHECK(tc::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("identity: verification of a userHash") {
  const std::string secret = "site-secret-0123456789";
  tc::IdentityVerifier v(secret);
  const std::string good = tc::hmac_sha256_hex(secret, "user-alice");
  CHECK(v.check("user-alice", good) == tc::IdentityStatus::verified);
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(v.check("user-alice", upper) == tc::IdentityStatus::verified);
  CHECK(v.check("user-bob", good) == tc::IdentityStatus::unverified);
  CHECK(v.check("user-alice", std::nullopt) == tc::IdentityStatus::unverified);
  CHECK(v.check("user-alice", std::string("")) == tc::IdentityStatus::unverified);
  CHECK(tc::IdentityVerifier("").check("user-alice", std::nullopt) == tc::IdentityStatus::not_checked);
}
