#include "access_policy.hpp"

#include <cctype>

namespace touchpoint::collector {

AccessPolicy::AccessPolicy(std::vector<std::string> write_keys, std::string admin_token,
                           std::vector<std::string> allowed_origins)
    : write_keys_(write_keys.begin(), write_keys.end()),
      admin_token_(std::move(admin_token)),
      allowed_origins_(allowed_origins.begin(), allowed_origins.end()) {}

WriteKeyCheck AccessPolicy::check_write_key(const std::optional<std::string>& query_key,
                                            const std::optional<std::string>& body_key) const {
  if (write_keys_.empty()) return WriteKeyCheck::open;
  const std::optional<std::string>& key = query_key ? query_key : body_key;
  if (!key || key->empty()) return WriteKeyCheck::missing;
  // Write keys are public, so a plain lookup leaks nothing worth a constant-time scan.
  return write_keys_.count(*key) ? WriteKeyCheck::accepted : WriteKeyCheck::unknown;
}

bool AccessPolicy::admin_authorized(std::string_view authorization) const {
  if (admin_token_.empty()) return true;
  const auto token = bearer_token(authorization);
  return token && constant_time_equal(*token, admin_token_);
}

bool AccessPolicy::read_origin_allowed(std::string_view origin, std::string_view own_origin) const {
  if (origin.empty()) return true;  // not a cross-origin browser request (curl, same-origin GET)
  if (origin == own_origin) return true;
  return allowed_origins_.count(origin) > 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() + 1) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return std::nullopt;
  if (authorization[kScheme.size()] != ' ') return std::nullopt;
  std::string_view token = authorization.substr(kScheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

bool is_read_api_path(std::string_view path) {
  for (std::string_view prefix : {"/v1/events", "/v1/users/", "/v1/stats", "/v1/dashboard/"}) {
    if (path.substr(0, prefix.size()) == prefix) {
      // "/v1/events" must not also match "/v1/eventsXYZ" as something else; all such paths are
      // ours and guarded anyway, so a prefix match is the safe direction.
      return true;
    }
  }
  return false;
}

}  // namespace touchpoint::collector
