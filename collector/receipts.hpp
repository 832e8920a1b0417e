// POST /v1/receipts?writeKey=K  {"messageIds":[...]}  ->  200 {"stored":[the ones stored]}
//
// The SDK asks this about events a page sent while it was unloading: the browser reports status 0
// for those keepalive requests even when we answered, so without it the next page would send them
// all again (issue 7, "a reload with a backlog"). At most kMaxReceiptIds ids per query (the SDK
// sends 80: limits::kMaxReceiptQueryIds). messageIds are random UUIDs, so the answer reveals
// nothing to whoever does not already hold one. A backend without this route answers 404 and the
// SDK simply sends the events again (the collector dedupes on messageId).
#pragma once
#include <cstddef>

#include "access_policy.hpp"
#include "event_store.hpp"
#include "http.hpp"

namespace touchpoint::collector {

constexpr std::size_t kMaxReceiptIds = 1000;

void register_receipt_routes(httplib::Server& server, EventStore& store, const AccessPolicy& policy);

}  // namespace touchpoint::collector
