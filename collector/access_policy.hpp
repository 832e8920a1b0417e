// Who may do what: write keys for ingestion, the admin token for every read API, and the origins
// whose pages may read. Pure (no I/O): main.cpp and the route guards ask it.
//
// Model (docs/collector.md "Security model"):
//   - POST /v1/batch needs a configured write key (query "writeKey" or body "writeKey", as the SDK
//     sends them). A write key is public (it ships in every page), so it only says "this site";
//     it cannot read anything. No key configured = open ingestion (development), with a warning.
//   - Read APIs (/v1/events, /v1/users/{id}, /v1/stats, /v1/dashboard/*) need
//     "Authorization: Bearer <admin token>", compared in constant time. No token configured = open
//     reads (development), with a warning.
//   - Browsers: a read API answers a request carrying an Origin only if that origin is the
//     collector's own or listed with --allow-origin; any other origin gets 403 and no CORS grant,
//     so a foreign page can neither read the data nor learn it exists.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace touchpoint::collector {

enum class WriteKeyCheck { accepted, open, missing, unknown };

class AccessPolicy {
 public:
  AccessPolicy(std::vector<std::string> write_keys, std::string admin_token, std::vector<std::string> allowed_origins);

  bool ingestion_open() const { return write_keys_.empty(); }
  bool reads_open() const { return admin_token_.empty(); }

  // The query key wins when present (the JS shell puts it in the URL); else the body's.
  WriteKeyCheck check_write_key(const std::optional<std::string>& query_key,
                                const std::optional<std::string>& body_key) const;

  // `authorization` is the raw header value ("" if absent).
  bool admin_authorized(std::string_view authorization) const;

  // `origin` is the request's Origin header ("" if absent: not a cross-origin browser request);
  // `own_origin` is "http://" + the request's Host.
  bool read_origin_allowed(std::string_view origin, std::string_view own_origin) const;

 private:
  std::set<std::string, std::less<>> write_keys_;
  std::string admin_token_;
  std::set<std::string, std::less<>> allowed_origins_;
};

// Constant-time comparison (the length is not hidden, only where the first difference is).
bool constant_time_equal(std::string_view a, std::string_view b);

// "Bearer abc" -> "abc" (scheme case-insensitive, RFC 7235 §2.1); nullopt for any other scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// True for the path prefixes that reveal stored data and so need the admin token.
bool is_read_api_path(std::string_view path);

}  // namespace touchpoint::collector
