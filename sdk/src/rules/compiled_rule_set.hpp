// A validated `touchpoint-rules/1` rule set, compiled for evaluation: one JsonLogic program for
// all predicates, the context laid out in slots, rules filed by event name, and for every piece
// of state the tags that read it (so a tag is only re-evaluated when its inputs change).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dispatch_tree.hpp"
#include "event_paths.hpp"
#include "logic_program.hpp"
#include "score_state.hpp"
#include "string_index.hpp"
#include "touchpoint/rules/rule_error.hpp"
#include "trait_state.hpp"

namespace touchpoint::rules {

constexpr const char* kRulesFormat = "touchpoint-rules/1";
// A rule set is configuration downloaded to every visitor; 1,000 rules take about 300 KB.
constexpr std::size_t kMaxRuleSetBytes = 8 * 1024 * 1024;
// Per section (traits, scores, tags, stages, rules of one score or stage).
constexpr std::size_t kMaxRulesPerSection = 20000;
constexpr std::size_t kMaxIdLength = 200;
// Errors reported for one rule set (the first ones; the rest are usually consequences).
constexpr std::size_t kMaxReportedErrors = 200;

// What a predicate reads from the context.
struct Reads {
  bool event = false;
  bool everything = false;  // a whole-object or computed path: may read anything
  bool user = false;
  std::vector<std::uint32_t> traits, score_values, grades, tags, stages;
};

struct Predicate {
  std::uint32_t root = 0;
  std::string pointer;  // e.g. "/tags/3/when"
  Reads reads;
  std::optional<std::vector<std::string>> event_names;  // nullopt = can hold for any event
  StringConstraints constraints;                        // strings it needs, by slot
};

struct TraitDef {
  std::string id;
  TraitKind kind = TraitKind::kCount;
  std::int64_t window_ms = 0;            // 0 = lifetime
  std::uint32_t where = kNoIndex;        // predicate; none = every event
  std::uint32_t property = kNoIndex;     // value node
  std::uint64_t fingerprint = 0;         // of the canonical definition
};

struct ScoreRuleDef {
  std::uint32_t predicate = 0;
  double points = 0;
};

struct ScoreDef {
  std::string id;
  std::int64_t half_life_ms = 0;
  std::vector<ScoreRuleDef> rules;
  std::vector<Grade> grades;
  std::uint64_t fingerprint = 0;      // of half_life + rules (grades only change the view)
  std::vector<double> thresholds;     // grade mins + literals tags/stages compare the value with
  bool opaque_reads = false;          // the value is read other than by literal comparisons
  bool read_by_rules = false;
};

struct TagDef {
  std::string id;
  std::uint32_t predicate = 0;
  bool sticky = false;
};

struct StageRuleDef {
  std::uint32_t stage = 0;  // index in the StageDef's order
  std::uint32_t predicate = 0;
};

struct StageDef {
  std::string id;
  std::vector<std::string> order;
  std::vector<StageRuleDef> rules;
};

enum class SlotKind : std::uint8_t { kEvent, kTrait, kScoreValue, kGrade, kTag, kStage, kUser };

struct SlotInfo {
  SlotKind kind = SlotKind::kEvent;
  std::uint32_t index = 0;  // trait/score/tag/stage index, or user path index
};

using Bits = std::vector<std::uint64_t>;

struct CompiledRuleSet {
  std::string version;
  Program program;
  std::vector<Predicate> predicates;
  // Hot copies, dense for the per-event loops: predicate -> root node, trait -> (where, property).
  std::vector<std::uint32_t> predicate_root;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> trait_inputs;
  std::vector<TraitDef> traits;
  std::vector<ScoreDef> scores;
  std::vector<TagDef> tags;
  std::vector<StageDef> stages;

  // Slots.
  std::vector<SlotInfo> slot_info;
  std::uint32_t event_name_slot = 0;
  std::uint32_t timestamp_slot = 0;
  std::vector<std::uint32_t> trait_slot, score_value_slot, grade_slot, tag_slot, stage_slot;  // kNoIndex if unread
  EventPaths event_paths;
  std::vector<std::pair<std::vector<std::string>, std::uint32_t>> event_path_list;  // what event_paths was built from
  std::vector<std::vector<std::string>> user_paths;
  // Literal paths of missing/missing_some, for run-time lookup: text -> (slot, segments it covers).
  std::unordered_map<std::string, std::pair<std::uint32_t, std::size_t>> lookup_paths;

  // Event-driven rules.
  DispatchTree trait_dispatch;        // trait indices
  std::vector<std::pair<std::uint32_t, std::uint32_t>> score_rules;  // (score, rule) in order
  DispatchTree score_rule_dispatch;   // indices into score_rules
  std::vector<std::pair<std::uint32_t, std::uint32_t>> stage_rules;  // (stage, rule) in order
  DispatchTree stage_rule_dispatch;   // indices into stage_rules
  std::vector<std::uint32_t> stage_rules_without_event;  // re-evaluated by advance()

  // Tag scheduling (bit k = tags[k]).
  std::size_t tag_words = 0;
  Bits tag_all;                   // every tag (the last word is partial)
  Bits tag_sticky;
  Bits tag_reads_event;
  Bits tag_event_constrained;     // reads the event, and only holds for some event names
  Bits tag_every_event;           // reads the event (unconstrained), score values or anything
  Bits tag_time_driven;           // reads score values but not the event: advance() re-evaluates
  StringIndex tag_names;          // event name -> tag_bits_by_name entry
  std::vector<Bits> tag_bits_by_name;
  std::vector<std::vector<std::uint32_t>> tags_by_trait, tags_by_grade, tags_by_tag, tags_by_stage;
  std::vector<std::uint32_t> tags_by_user;
};

// Parses, validates and compiles. Returns null and fills *errors when the rule set is rejected.
std::unique_ptr<CompiledRuleSet> compile_rule_set(std::string_view json_text, std::vector<RuleError>* errors);

}  // namespace touchpoint::rules
