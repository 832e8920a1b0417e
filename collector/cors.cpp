#include "cors.hpp"

namespace touchpoint::collector {
namespace {

// Browsers cap Max-Age anyway (Chromium: 2 h, Firefox: 24 h); 2 h saves a preflight per batch.
constexpr const char* kPreflightMaxAgeSeconds = "7200";

}  // namespace

void add_cors_headers(const httplib::Request& req, httplib::Response& res) {
  // Echo the origin rather than "*" so a page may also send credentials if it chooses to.
  const std::string origin = req.get_header_value("Origin");
  if (!res.has_header("Access-Control-Allow-Origin")) {
    res.set_header("Access-Control-Allow-Origin", origin.empty() ? "*" : origin);
  }
  if (!origin.empty()) res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers", "ETag, Retry-After");
}

void register_cors(httplib::Server& server) {
  server.Options(R"(.*)", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Content-Type, Content-Encoding, If-None-Match");
    res.set_header("Access-Control-Max-Age", kPreflightMaxAgeSeconds);
    res.set_header("Allow", "GET, POST, OPTIONS");
    (void)req;
  });
}

}  // namespace touchpoint::collector
