#include "read_guard.hpp"

#include "cors.hpp"
#include "json_response.hpp"

namespace touchpoint::collector {

bool refuse_unauthorized_read(const httplib::Request& req, httplib::Response& res, const AccessPolicy& policy) {
  if (req.method == "OPTIONS" || !is_read_api_path(req.path)) return false;
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty() && !is_own_origin(req, origin) && !policy.read_origin_allowed(origin, "")) {
    send_error(res, 403, "origin_not_allowed", "pages on " + origin + " may not read this collector's data");
    return true;
  }
  if (!policy.admin_authorized(req.get_header_value("Authorization"))) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"touchpoint\"");
    send_error(res, 401, "unauthorized", "read APIs need \"Authorization: Bearer <admin token>\"");
    return true;
  }
  return false;
}

}  // namespace touchpoint::collector
