#include "receipts.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>

#include "json_response.hpp"

namespace touchpoint::collector {

void register_receipt_routes(httplib::Server& server, EventStore& store, const AccessPolicy& policy) {
  server.Post("/v1/receipts", [&store, &policy](const httplib::Request& req, httplib::Response& res) {
    std::optional<std::string> key;
    if (req.has_param("writeKey")) key = req.get_param_value("writeKey");
    const WriteKeyCheck check = policy.check_write_key(key, std::nullopt);
    if (check == WriteKeyCheck::missing) return send_error(res, 401, "write_key_missing", "receipts need a writeKey");
    if (check == WriteKeyCheck::unknown) return send_error(res, 401, "write_key_unknown", "this writeKey is not configured on the collector");
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    const auto ids = body.is_object() ? body.find("messageIds") : body.end();
    if (!body.is_object() || ids == body.end() || !ids->is_array())
      return send_error(res, 400, "receipts_malformed", "the body must be {\"messageIds\":[...]}");
    if (ids->size() > kMaxReceiptIds)
      return send_error(res, 413, "receipts_too_many", "at most " + std::to_string(kMaxReceiptIds) + " messageIds per query");
    std::set<std::string> asked;
    for (const auto& id : *ids)
      if (id.is_string() && !id.get_ref<const std::string&>().empty() && id.get_ref<const std::string&>().size() <= 100)
        asked.insert(id.get<std::string>());
    nlohmann::json stored = nlohmann::json::array();
    for (const auto& id : asked) {
      EventQuery q;
      q.message_id = id;
      q.limit = 1;
      const nlohmann::json found = store.find_events(q);
      const auto count = found.find("count");
      if (count != found.end() && count->is_number_integer() && count->get<std::int64_t>() > 0) stored.push_back(id);
    }
    send_json(res, 200, {{"stored", std::move(stored)}});
  });
}

}  // namespace touchpoint::collector
