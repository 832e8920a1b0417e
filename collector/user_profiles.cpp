#include "user_profiles.hpp"

#include <touchpoint/iso_time.hpp>
#include <touchpoint/rules/tag_engine.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "json_response.hpp"
#include "profile_state.hpp"

namespace touchpoint::collector {
namespace {

using nlohmann::json;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}


std::optional<std::int64_t> parse_at(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 15)
    return std::stoll(text);
  return touchpoint::parse_iso8601_ms(text);
}

void answer_profile(EventStore& store, RulesSource& rules, const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  std::optional<std::int64_t> at;
  if (req.has_param("at")) {
    at = parse_at(req.get_param_value("at"));
    if (!at) return send_error(res, 400, "invalid_at", "at must be an ISO-8601 date-time or unix milliseconds");
  }

  // The stored, incrementally kept profile: O(1) in the visitor's history.
  if (!at) {
    const auto row = store.find_profile(id);
    if (!row) return send_error(res, 404, "user_not_found", "no stored events for \"" + id + "\"");
    ProfileState state(id);
    state.use_rules(rules.current_compiled());
    if (!state.restore(row->engine_snapshot, row->user_traits, row->events, row->stored, row->last_t_ms))
      return send_error(res, 500, "profile_corrupt", "the stored profile of \"" + id + "\" could not be read");
    json view = state.view(std::max(now_ms(), row->last_t_ms));
    view["verified"] = row->verified ? json(*row->verified) : json(nullptr);
    view["computed"] = "incremental";
    return send_json(res, 200, view);
  }

  // ?at=: the profile as of a past time, replayed from the stored history.
  const std::vector<StoredEvent> events = store.events_of_identity(id);
  if (events.empty()) return send_error(res, 404, "user_not_found", "no stored events for \"" + id + "\"");

  touchpoint::rules::TagEngine engine;
  // The newest rule set that compiles: a device keeps that one when a newer file is rejected.
  const auto snapshot = rules.current_compiled();
  if (snapshot) {
    const auto errors = engine.load(snapshot->content);
    if (!errors.empty()) {
      json list = json::array();
      for (const auto& e : errors) list.push_back({{"path", e.path}, {"message", e.message}});
      send_json(res, 500,
                {{"error", {{"code", "rules_invalid"}, {"message", "the rules in force do not compile"}}},
                 {"errors", std::move(list)}});
      return;
    }
  }

  // Identify traits accumulate the way the SDK's identity store merges them.
  json user_traits = json::object();
  std::int64_t last_t = 0;
  std::size_t replayed = 0;
  for (const StoredEvent& stored : events) {
    const std::int64_t t = stored.timestamp_ms.value_or(stored.received_at_ms);
    if (at && t > *at) break;  // a profile "as of" `at`: later events have not happened yet
    const json event = json::parse(stored.body, nullptr, false);
    if (!event.is_object() || sdk_skips_in_rules(stored.type, event)) continue;
    if (stored.type == "identify") {
      auto traits = event.find("traits");
      if (traits != event.end() && traits->is_object()) {
        for (auto it = traits->begin(); it != traits->end(); ++it) user_traits[it.key()] = it.value();
        engine.set_user_traits(user_traits);
      }
    }
    engine.process(event, t);
    last_t = std::max(last_t, t);
    ++replayed;
  }
  // Windows slide and scores decay up to the evaluation time, as on a device left open.
  const std::int64_t t_eval = at.value_or(std::max(now_ms(), last_t));
  engine.advance(t_eval);

  send_json(res, 200,
            {{"id", id},
             {"events", replayed},        // fed to the engine
             {"stored", events.size()},   // matched in the store, SDK-internal events included
             {"rules_version", snapshot ? json(snapshot->version) : json(nullptr)},
             {"at", touchpoint::format_iso8601_ms(t_eval)},
             {"tags", engine.tags()},
             {"traits", engine.traits()},
             {"scores", engine.scores(t_eval)},
             {"stages", engine.stages()},
             {"computed", "replay"}});
}

}  // namespace

void register_user_routes(httplib::Server& server, EventStore& store, RulesSource& rules) {
  server.Get(R"(/v1/users/([^/]+))", [&store, &rules](const httplib::Request& req, httplib::Response& res) {
    answer_profile(store, rules, req, res);
  });
}

}  // namespace touchpoint::collector
