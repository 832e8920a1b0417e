#include "cors.hpp"

#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

// Browsers cap Max-Age anyway (Chromium: 2 h, Firefox: 24 h); 2 h saves a preflight per batch.
constexpr const char* kPreflightMaxAgeSeconds = "7200";

bool read_origin_ok(const httplib::Request& req, const AccessPolicy& policy, const std::string& origin) {
  return origin.empty() || is_own_origin(req, origin) || policy.read_origin_allowed(origin, "");
}

}  // namespace

bool is_own_origin(const httplib::Request& req, std::string_view origin) {
  const std::string host = req.get_header_value("Host");
  if (host.empty()) return false;
  return origin == "http://" + host || origin == "https://" + host;
}

void add_cors_headers(const httplib::Request& req, httplib::Response& res, const AccessPolicy& policy) {
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) res.set_header("Vary", "Origin");
  if (is_read_api_path(req.path)) {
    // Only a listed origin is granted; the page's own origin needs no grant at all.
    if (!origin.empty() && policy.read_origin_allowed(origin, "") && !res.has_header("Access-Control-Allow-Origin"))
      res.set_header("Access-Control-Allow-Origin", origin);
    return;
  }
  // Echo the origin rather than "*" so a page may also send credentials if it chooses to.
  if (!res.has_header("Access-Control-Allow-Origin")) {
    res.set_header("Access-Control-Allow-Origin", origin.empty() ? "*" : origin);
  }
  res.set_header("Access-Control-Expose-Headers", "ETag, Retry-After");
}

void register_cors(httplib::Server& server, const AccessPolicy& policy) {
  server.Options(R"(.*)", [&policy](const httplib::Request& req, httplib::Response& res) {
    const std::string origin = req.get_header_value("Origin");
    if (is_read_api_path(req.path)) {
      if (!read_origin_ok(req, policy, origin))
        return send_error(res, 403, "origin_not_allowed", "this origin may not call the read APIs");
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    } else {
      res.set_header("Access-Control-Allow-Headers", "Content-Type, Content-Encoding, If-None-Match");
    }
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Max-Age", kPreflightMaxAgeSeconds);
    res.set_header("Allow", "GET, POST, OPTIONS");
  });
}

}  // namespace touchpoint::collector
