// CORS for the SDK running in web pages on other origins (a development backend: any origin).
#pragma once
#include "http.hpp"

namespace touchpoint::collector {

// OPTIONS on any path answers the preflight (204); every other response gets
// Access-Control-Allow-Origin and exposes ETag and Retry-After, which the SDK reads.
void register_cors(httplib::Server& server);

// Adds the per-response headers; called from the server's post-routing hook.
void add_cors_headers(const httplib::Request& req, httplib::Response& res);

}  // namespace touchpoint::collector
