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

#include "touchpoint/rules/rule_error.hpp"

namespace touchpoint::rules {

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

  // Fast path for replay and the wasm boundary: the same as process(), but reads the event from
  // JSON text, scanning it once and decoding only the paths the rules read. The event time is its
  // "timestamp" (ISO-8601 string or epoch ms), else `default_t_ms`. Fills *changes when given
  // (skipping the JSON building otherwise). Returns false with *error, processing nothing, when
  // the text is not a JSON object or its timestamp is malformed.
  bool process_text(std::string_view event_json, std::int64_t default_t_ms, nlohmann::json* changes,
                    std::string* error);

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

  std::uint64_t events_processed() const;
  // The engine's clock: the latest time seen by process()/advance() (it never runs backwards:
  // an event older than that is processed at that time). nullopt before the first.
  std::optional<std::int64_t> current_time() const;
  // Approximate bytes held by the visitor's rule state (windows, value maps, tags), not the rules.
  std::size_t state_memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace touchpoint::rules
