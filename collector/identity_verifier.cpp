#include "identity_verifier.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "access_policy.hpp"

namespace touchpoint::collector {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

const char* to_string(IdentityStatus status) {
  switch (status) {
    case IdentityStatus::not_checked: return "not_checked";
    case IdentityStatus::verified: return "verified";
    case IdentityStatus::unverified: return "unverified";
  }
  return "unknown";
}

IdentityVerifier::IdentityVerifier(std::string secret) : secret_(std::move(secret)) {}

IdentityStatus IdentityVerifier::check(std::string_view user_id, const std::optional<std::string>& user_hash) const {
  if (!enabled()) return IdentityStatus::not_checked;
  if (!user_hash || user_id.empty()) return IdentityStatus::unverified;
  std::string given = *user_hash;
  for (char& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return constant_time_equal(given, hmac_sha256_hex(secret_, user_id)) ? IdentityStatus::verified
                                                                       : IdentityStatus::unverified;
}

}  // namespace touchpoint::collector
