// A visitor's profile kept up to date as events arrive: the SDK's own TagEngine (the same rules,
// traits, windows, scores, tags and stages as on the device), its snapshot stored beside the
// events, so reading a profile costs O(1) in the visitor's history instead of a replay.
//
// Routing (which profiles an event feeds) follows the identity model of GET /v1/users/{id}:
//   - the profile of its anonymousId (the device), always;
//   - the profile of its userId, unless identity verification is on and the userId is not
//     verified for that device (a stranger cannot tag someone else's profile);
//   - an anonymous event (no userId) also feeds every user its device is linked to.
// When a device is first linked to a user, the device's anonymous history is fed to the user
// first (the history before login belongs to the user, as in the SDK's on-device engine).
#pragma once
#include <nlohmann/json.hpp>
#include <touchpoint/rules/tag_engine.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint::collector {

struct RulesSnapshot;

// One stored event as the profile engine reads it.
struct ProfileEventView {
  std::string_view type;
  std::string_view body;            // the event's JSON text
  std::int64_t t_ms = 0;            // timestamp_ms, else received_at_ms
};

class ProfileState {
 public:
  explicit ProfileState(std::string id);

  const std::string& id() const { return id_; }

  // Bookkeeping for listings: "user" once the id was seen as a routed userId, else "anonymous";
  // verified: null with verification off, else whether a verified identify made it a user.
  std::string kind = "anonymous";
  std::optional<bool> verified;
  // The stored row's revision this state was read from or written as (profile_router.hpp).
  std::int64_t revision = 0;

  // Makes the engine run `rules` (the newest that compiles; null = none). Keeps the state of
  // traits and scores whose definitions did not change, as TagEngine::load does on a device.
  void use_rules(const std::shared_ptr<const RulesSnapshot>& rules);

  // Restores a stored profile row; false if the snapshot is corrupt (the profile starts empty).
  // Call use_rules() first: the snapshot is rule state.
  bool restore(std::string_view engine_snapshot, std::string_view user_traits_json, std::int64_t events,
               std::int64_t stored, std::int64_t last_t_ms);

  // Feeds one event: identify traits are merged (as the SDK's identity store does) and passed to
  // the rules as user.*; the SDK's own session_start / session_end / tags_changed are counted but not fed,
  // since the device never feeds them to its rules either.
  void apply(const ProfileEventView& event);

  std::string engine_snapshot() const { return engine_.snapshot(); }
  std::string user_traits_json() const;
  std::int64_t events() const { return events_; }    // fed to the engine
  std::int64_t stored() const { return stored_; }    // routed here, SDK-internal ones included
  std::int64_t last_t_ms() const { return last_t_; }
  const std::string& rules_etag() const { return rules_etag_; }
  std::string rules_version() const { return engine_.version(); }

  // The profile as served: tags, traits, scores and stages evaluated at t_eval_ms (windows slide
  // and scores decay up to then). Advances the engine: call it on a copy restored for reading.
  nlohmann::json view(std::int64_t t_eval_ms);
  // tags / scores (at last_t) / stages without advancing, for the dashboard's columns.
  nlohmann::json tags() const { return engine_.tags(); }
  nlohmann::json scores() const { return engine_.scores(last_t_); }
  nlohmann::json stages() const { return engine_.stages(); }

 private:
  std::string id_;
  touchpoint::rules::TagEngine engine_;
  std::string rules_etag_;  // of the rules loaded, "" = none
  nlohmann::json user_traits_ = nlohmann::json::object();
  std::int64_t events_ = 0;
  std::int64_t stored_ = 0;
  std::int64_t last_t_ = 0;
};

// True for the events the SDK emits without feeding them to its TagEngine.
bool sdk_skips_in_rules(std::string_view type, const nlohmann::json& event);

}  // namespace touchpoint::collector
