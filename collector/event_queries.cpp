#include "event_queries.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

constexpr std::size_t kDefaultLimit = 100;
// Tests list whole runs in one call; at ~1 KB per typical event a full page is ~10 MB.
constexpr std::size_t kMaxLimit = 10000;

std::optional<std::string> param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

// Non-negative decimal integer up to 18 digits (fits int64), else nullopt.
std::optional<std::int64_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(text);
}

}  // namespace

void register_event_query_routes(httplib::Server& server, EventStore& store, bool allow_delete) {
  server.Get("/v1/events", [&store](const httplib::Request& req, httplib::Response& res) {
    EventQuery query;
    query.event = param(req, "event");
    query.type = param(req, "type");
    query.anonymous_id = param(req, "anonymousId");
    query.user_id = param(req, "userId");
    query.message_id = param(req, "messageId");
    if (auto since = param(req, "since_id")) {
      query.since_id = parse_count(*since);
      if (!query.since_id) return send_error(res, 400, "invalid_since_id", "since_id must be a non-negative integer");
    }
    query.limit = kDefaultLimit;
    if (auto limit = param(req, "limit")) {
      auto n = parse_count(*limit);
      if (!n || *n < 1) return send_error(res, 400, "invalid_limit", "limit must be a positive integer (at most 10000 are returned)");
      query.limit = static_cast<std::size_t>(std::min<std::int64_t>(*n, kMaxLimit));
    }
    send_json(res, 200, store.find_events(query));
  });

  server.Get("/v1/stats", [&store](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, store.stats());
  });

  server.Delete("/v1/events", [&store, allow_delete](const httplib::Request&, httplib::Response& res) {
    if (!allow_delete)
      return send_error(res, 404, "not_found", "DELETE /v1/events is only available with --fault-mode");
    store.clear();
    send_json(res, 200, {{"deleted", true}});
  });
}

}  // namespace touchpoint::collector
