// TagEngine's internals, shared by tag_engine.cpp (evaluation) and engine_snapshot.cpp
// (persistence).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiled_rule_set.hpp"
#include "logic_evaluator.hpp"
#include "score_state.hpp"
#include "touchpoint/rules/tag_engine.hpp"
#include "trait_state.hpp"

namespace touchpoint::rules {

// A score read by rules other than through literal comparisons can change a tag at any moment;
// next_change_at() then asks to be woken at least this often while the score is non-zero.
constexpr std::int64_t kOpaqueScorePollMs = 60 * 1000;

constexpr const char* kStateFormat = "touchpoint-rules-state/1";

// What one pass (event or advance) changed, recorded cheaply and turned into JSON on demand.
struct PassChanges {
  struct TagChange {
    std::uint32_t tag;
    bool added;
  };
  struct ScoreChange {
    std::uint32_t score;
    int previous_grade;
  };
  struct StageMove {
    std::uint32_t stage;
    int from;
    int to;
    std::uint32_t rule;
  };
  std::vector<TagChange> tags;
  std::vector<ScoreChange> scores;
  std::vector<StageMove> stages;
  void clear() {
    tags.clear();
    scores.clear();
    stages.clear();
  }
};

struct TagEngine::Impl final : public ContextSource {
  std::unique_ptr<CompiledRuleSet> rules;

  // Visitor state.
  std::vector<TraitState> traits;
  std::vector<ScoreState> scores;
  std::vector<int> grades;  // current grade index per score, -1 = none
  std::vector<std::optional<std::int64_t>> score_next_check;
  Bits tag_set;
  std::vector<std::int64_t> tag_first_seq;  // -1 = never set
  std::vector<int> stage_current;           // index into order, -1 = none yet
  nlohmann::json user_traits = nlohmann::json::object();
  std::uint64_t events = 0;
  std::optional<std::int64_t> now;
  // A snapshot restored before any rules were loaded, applied by the next load().
  std::optional<nlohmann::json> pending_state;

  // Scheduling.
  using Expiry = std::pair<std::int64_t, std::uint32_t>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>> expiries;  // one per non-empty window
  Bits dirty;  // tags whose inputs changed since they were last evaluated
  // Whether the last pass was advance(): tags it left dirty (a tag reading a tag listed after it)
  // are not reported as due again, so rules that feed back on each other cannot make a caller
  // that sleeps until next_change_at() spin at one instant.
  bool last_pass_advanced = false;

  // Evaluation.
  std::vector<Value> slots;
  mutable Scratch scratch;
  EventTextStorage event_storage;
  const nlohmann::json* event_json = nullptr;
  std::string_view event_text;
  mutable std::optional<nlohmann::json> parsed_event;
  PassChanges changes;
  Bits trait_marks, score_marks, stage_marks;  // DispatchTree scratch
  std::vector<int> stage_best;
  std::vector<std::uint32_t> stage_best_rule;

  // Sets up empty state sized for `rules`.
  void reset_state();
  void refresh_slots();
  void refresh_user_slots();
  void reset_event_slots();
  void schedule_all();

  void begin_event();
  void end_event();
  void run_pass(std::int64_t t, bool has_event);
  bool holds(std::uint32_t predicate);
  void expire_traits(std::int64_t t);
  void refresh_scores_for_time(std::int64_t t);
  void update_traits(std::int64_t t);
  void update_scores(std::int64_t t);
  void apply_score(std::uint32_t s, double value, std::int64_t t);
  void evaluate_tags(bool has_event);
  void evaluate_stages(bool has_event);
  void set_tag(std::uint32_t k, bool value);
  void on_trait_changed(std::uint32_t i);
  void set_grade(std::uint32_t s, int grade);
  void mark_dirty(const std::vector<std::uint32_t>& tags);
  std::optional<std::int64_t> compute_next_check(std::uint32_t s, std::int64_t t) const;
  nlohmann::json changes_json() const;
  nlohmann::json context_json() const;

  // ContextSource
  Value lookup(std::string_view dotted_path, Scratch* scratch) const override;

  // Persistence (engine_snapshot.cpp).
  nlohmann::json state_json() const;
  bool apply_state(const nlohmann::json& state, std::string* error);
  static bool check_state_shape(const nlohmann::json& state, std::string* error);
};

}  // namespace touchpoint::rules
