// Verified identity, as Intercom's identity verification does it: the site's own backend, which
// knows who is logged in, computes userHash = hex(HMAC-SHA256(secret, userId)) and the page passes
// it to identify(userId, traits, { userHash }). The secret never reaches the browser, so a
// stranger who types someone else's userId into the console cannot produce the hash.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint::collector {

// Lower-case hex of HMAC-SHA256(key, message) (RFC 2104; OpenSSL's libcrypto).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// What the collector knows about an event's userId.
enum class IdentityStatus {
  not_checked,  // no --identity-secret: every userId is taken at its word (development)
  verified,     // the identify carried a matching userHash, or this device was verified as the user
  unverified,   // no hash, or a wrong one
};

const char* to_string(IdentityStatus status);

class IdentityVerifier {
 public:
  explicit IdentityVerifier(std::string secret);  // "" = verification off

  bool enabled() const { return !secret_.empty(); }

  // Checks an identify's userHash (case-insensitive hex) for `user_id`, in constant time.
  IdentityStatus check(std::string_view user_id, const std::optional<std::string>& user_hash) const;

 private:
  std::string secret_;
};

}  // namespace touchpoint::collector
