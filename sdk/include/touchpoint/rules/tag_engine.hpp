// The on-device tag engine: compiled `touchpoint-rules/1` rule set plus the visitor's rule state
// (trait windows, decaying scores, tags, stages). Pure: time comes in with every call.
// CONTRACT shared by the SDK engine, the wasm bindings, the collector and the CLI: keep these
// signatures; add to them freely.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace touchpoint::rules {

// A rejected rule set is described by JSON pointer + message, e.g. {"/tags/3/when", "unknown operator \"foo\""}.
struct RuleError {
  std::string path;
  std::string message;
};

class TagEngine {
 public:
  TagEngine();
  ~TagEngine();
  TagEngine(TagEngine&&) noexcept;
  TagEngine& operator=(TagEngine&&) noexcept;

  // Parses, validates and compiles `rules_json`. On success replaces the rule set in force (keeping
  // the state of traits/scores whose definition did not change) and returns {}. On failure returns
  // the errors and leaves the rule set in force untouched.
  std::vector<RuleError> load(std::string_view rules_json);
  bool has_rules() const;
  std::string version() const;  // the rule set's "version", "" when none

  // Runs one Segment-shaped event (track/page/identify...) at its time t_ms through the rules.
  // Returns the changes it caused:
  // {"tags_added":[{"tag":id,"rule":"/tags/N"}], "tags_removed":[...],
  //  "scores":[{"id","value","grade","previous_grade"}], "stages":[{"id","from","to","rule"}]}
  // (keys with nothing to report are omitted; an empty object means nothing changed).
  nlohmann::json process(const nlohmann::json& event, std::int64_t t_ms);

  // Re-evaluates time-dependent tags at t_ms without an event (windows slide, scores decay).
  nlohmann::json advance(std::int64_t t_ms);
  // The next time at which anything can change without a new event; nullopt if never.
  std::optional<std::int64_t> next_change_at() const;

  // Identify traits, readable by rules as `user.*`.
  void set_user_traits(const nlohmann::json& traits);

  // Current state views (scores decayed to `t_ms`).
  nlohmann::json tags() const;                    // ["interest:health", ...] sorted
  nlohmann::json traits() const;                  // {"health_views_7d": 3, ...}
  nlohmann::json scores(std::int64_t t_ms) const; // {"lead": {"value": v, "grade": "B", "max": m}}
  nlohmann::json stages() const;                  // {"lifecycle": "trying"}

  // Replay summary as printed by `touchpoint-rules replay` (see docs/rules.md).
  nlohmann::json summary(std::int64_t t_end_ms) const;

  // Persisted state (not the rules). restore() returns false and sets *error on a corrupt snapshot,
  // leaving the state empty.
  std::string snapshot() const;
  bool restore(std::string_view snapshot, std::string* error);
  void clear_state();  // logout / reset

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchpoint::rules
