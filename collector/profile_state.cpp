#include "profile_state.hpp"

#include <touchpoint/iso_time.hpp>

#include <algorithm>

#include "json_response.hpp"
#include "rules_source.hpp"

namespace touchpoint::collector {

using nlohmann::json;

bool sdk_skips_in_rules(std::string_view type, const json& event) {
  // sdk/src/engine.cpp: session_start is pushed before rules see anything, session_end is derived
  // by the SDK (push_session_end) and tags_changed reports rule output: none is fed to the rules.
  if (type != "track") return false;
  auto name = event.find("event");
  if (name == event.end() || !name->is_string()) return false;
  const auto& s = name->get_ref<const std::string&>();
  return s == "session_start" || s == "session_end" || s == "tags_changed";
}

ProfileState::ProfileState(std::string id) : id_(std::move(id)) {}

void ProfileState::use_rules(const std::shared_ptr<const RulesSnapshot>& rules) {
  const std::string etag = rules ? rules->etag : std::string();
  if (etag == rules_etag_) return;
  if (rules && engine_.load(rules->content).empty()) rules_etag_ = etag;
}

bool ProfileState::restore(std::string_view engine_snapshot, std::string_view user_traits_json, std::int64_t events,
                           std::int64_t stored, std::int64_t last_t_ms) {
  events_ = events;
  stored_ = stored;
  last_t_ = last_t_ms;
  json traits = json::parse(user_traits_json, nullptr, false);
  user_traits_ = traits.is_object() ? std::move(traits) : json::object();
  std::string error;
  const bool ok = engine_snapshot.empty() || engine_.restore(engine_snapshot, &error);
  engine_.set_user_traits(user_traits_);
  return ok;
}

void ProfileState::apply(const ProfileEventView& event) {
  ++stored_;
  // Only the names the routing needs are decoded here; the engine scans the text itself.
  const bool needs_json =
      event.type == "identify" || (event.type == "track" && (event.body.find("session_") != std::string_view::npos ||
                                                              event.body.find("tags_changed") != std::string_view::npos));
  json parsed;
  if (needs_json) {
    parsed = json::parse(event.body, nullptr, false);
    if (!parsed.is_object()) return;
    if (sdk_skips_in_rules(event.type, parsed)) return;
    if (event.type == "identify") {
      auto traits = parsed.find("traits");
      if (traits != parsed.end() && traits->is_object()) {
        for (auto it = traits->begin(); it != traits->end(); ++it) user_traits_[it.key()] = it.value();
        engine_.set_user_traits(user_traits_);
      }
    }
  }
  std::string error;
  if (!engine_.process_text(event.body, event.t_ms, nullptr, &error)) return;
  ++events_;
  last_t_ = std::max(last_t_, event.t_ms);
}

std::string ProfileState::user_traits_json() const { return dump_json(user_traits_); }

json ProfileState::view(std::int64_t t_eval_ms) {
  engine_.advance(t_eval_ms);
  return {{"id", id_},
          {"events", events_},
          {"stored", stored_},
          {"rules_version", rules_etag_.empty() ? json(nullptr) : json(engine_.version())},
          {"at", touchpoint::format_iso8601_ms(t_eval_ms)},
          {"tags", engine_.tags()},
          {"traits", engine_.traits()},
          {"scores", engine_.scores(t_eval_ms)},
          {"stages", engine_.stages()}};
}

}  // namespace touchpoint::collector
