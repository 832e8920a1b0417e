// Read side of the store for tests, demos and debugging:
//   GET    /v1/events?event=&type=&anonymousId=&userId=&messageId=&since_id=&limit=
//            {"events":[{id, messageId, type, event, anonymousId, userId, sessionId, timestamp,
//                        receivedAt, sentAt, batchId, body}], "count":N}, oldest first; without
//            since_id the newest `limit` (default 100, at most 10000).
//   GET    /v1/stats   totals: events, messageIds, batches, duplicates, rejected, dropped, bytes.
//   DELETE /v1/events  forget everything (only with --fault-mode, to reset between tests).
#pragma once
#include "event_store.hpp"
#include "http.hpp"

namespace touchpoint::collector {

void register_event_query_routes(httplib::Server& server, EventStore& store, bool allow_delete);

}  // namespace touchpoint::collector
