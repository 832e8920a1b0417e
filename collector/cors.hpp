// CORS. Ingestion (POST /v1/batch), the rules and static files are open to every origin: the SDK
// runs on the customer's sites, and a batch is only stored with a valid write key. Read APIs are
// granted only to the collector's own origin and --allow-origin ones (see access_policy.hpp).
#pragma once
#include "access_policy.hpp"
#include "http.hpp"

namespace touchpoint::collector {

// "http://HOST" or "https://HOST" from the Host header: the origin of pages this collector serves.
bool is_own_origin(const httplib::Request& req, std::string_view origin);

// OPTIONS on any path answers the preflight: 204 for ingestion and other open paths; for read
// APIs 204 with Authorization allowed only for an allowed origin, 403 otherwise.
void register_cors(httplib::Server& server, const AccessPolicy& policy);

// Adds the per-response headers; called from the server's post-routing hook. Read APIs never
// grant a foreign origin.
void add_cors_headers(const httplib::Request& req, httplib::Response& res, const AccessPolicy& policy);

}  // namespace touchpoint::collector
