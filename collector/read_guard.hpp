// The gate in front of every read API (events, users, stats, dashboard data): a foreign Origin
// gets 403, a missing or wrong admin token 401. Runs before routing, so nothing is read from the
// store for a request that fails it.
#pragma once
#include "access_policy.hpp"
#include "http.hpp"

namespace touchpoint::collector {

// True if it answered the request (refused it); false to let routing continue.
bool refuse_unauthorized_read(const httplib::Request& req, httplib::Response& res, const AccessPolicy& policy);

}  // namespace touchpoint::collector
