// GET /v1/users/{id}: a visitor's tags, traits, scores and stages, recomputed by replaying their
// stored events through the same TagEngine the SDK runs on the device, with the rules in force.
//
// {id} matches a userId or an anonymousId; a userId also takes in the anonymous events of the
// devices it logged in on. Events replay in event-time order (ties by arrival). Optional
// ?at=ISO-8601|unix-ms evaluates windows and score decay at that time (default: now, or the
// last event's time if that is later).
#pragma once
#include "event_store.hpp"
#include "http.hpp"
#include "rules_source.hpp"

namespace touchpoint::collector {

void register_user_routes(httplib::Server& server, EventStore& store, RulesSource& rules);

}  // namespace touchpoint::collector
