// The operator's dashboard: the page (GET /dashboard/, static, no data in it) and its JSON API
// under /v1/dashboard/, which, like every read API, needs the admin token (read_guard.hpp).
//
//   GET  /v1/dashboard/overview        totals and the rule set in force
//   GET  /v1/dashboard/visitors?limit= profiles: tags, scores/grades, stages, verified
//   GET  /v1/dashboard/funnel          lifecycle funnel of the first stage definition
//   GET  /v1/dashboard/distributions   tag and grade distributions
//   GET  /v1/dashboard/touches         channels, stores, staff by first and last touch
//   GET  /v1/dashboard/referrals       the referral (fission) tree, any depth
//   GET  /v1/dashboard/rules           the rules in force, their validation, the history
//   POST /v1/dashboard/rules/validate  {errors:[{path,message}]} for a candidate rule set
//   POST /v1/dashboard/rules           publish (422 with errors, nothing changes, if it fails)
//   POST /v1/dashboard/rules/rollback  {"id":N}: publish history entry N again
// Live events come from GET /v1/events?since_id= (same token).
#pragma once
#include <string>

#include "event_store.hpp"
#include "http.hpp"
#include "identity_verifier.hpp"
#include "rules_publisher.hpp"
#include "rules_source.hpp"
#include "static_files.hpp"

namespace touchpoint::collector {

void register_dashboard_routes(httplib::Server& server, EventStore& store, RulesSource& rules,
                               RulesPublisher& publisher, const IdentityVerifier& identity,
                               const StaticFiles& dashboard_files);

}  // namespace touchpoint::collector
