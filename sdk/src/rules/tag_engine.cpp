// The tag engine's evaluation passes. Per event, in this order: trait windows slide and score
// grades follow decay to the event's time; traits whose `where` holds take the event; scores
// whose rules hold decay then add points in rule order; tags are evaluated in order (each sees
// the tags set so far in the pass); stages move forward. Only the rules filed under the event's
// name are evaluated, and a tag only when something it reads may have changed.
#include <algorithm>
#include <cmath>

#include "rule_program.hpp"
#include "tag_engine_impl.hpp"
#include "touchpoint/iso_time.hpp"

namespace touchpoint::rules {

namespace {

inline bool bit_is_set(const Bits& bits, std::uint32_t k) { return (bits[k / 64] >> (k % 64)) & 1; }
inline void set_bit(Bits* bits, std::uint32_t k) { (*bits)[k / 64] |= 1ULL << (k % 64); }
inline void clear_bit(Bits* bits, std::uint32_t k) { (*bits)[k / 64] &= ~(1ULL << (k % 64)); }

int count_trailing_zeros(std::uint64_t x) { return __builtin_ctzll(x); }

nlohmann::json grade_json(const ScoreDef& def, int grade) {
  if (grade < 0) return nullptr;
  return def.grades[static_cast<std::size_t>(grade)].name;
}

}  // namespace

// ---------------------------------------------------------------------------------- setup

void TagEngine::Impl::reset_state() {
  const CompiledRuleSet& rs = *rules;
  traits.clear();
  traits.reserve(rs.traits.size());
  for (const auto& def : rs.traits) traits.emplace_back(def.kind, def.window_ms);
  scores.assign(rs.scores.size(), ScoreState{});
  grades.assign(rs.scores.size(), -1);
  for (std::size_t s = 0; s < rs.scores.size(); ++s) grades[s] = grade_index(0, rs.scores[s].grades);
  score_next_check.assign(rs.scores.size(), std::nullopt);
  tag_set.assign(rs.tag_words, 0);
  tag_first_seq.assign(rs.tags.size(), -1);
  stage_current.assign(rs.stages.size(), -1);
  trait_marks.assign(rs.trait_dispatch.item_count() / 64 + 1, 0);
  score_marks.assign(rs.score_rule_dispatch.item_count() / 64 + 1, 0);
  stage_marks.assign(rs.stage_rule_dispatch.item_count() / 64 + 1, 0);
  stage_best.assign(rs.stages.size(), -1);
  stage_best_rule.assign(rs.stages.size(), 0);
  expiries = {};
  // Everything is "changed" for the first pass: tags that hold without any event (e.g. a count
  // below a threshold) get set by it.
  dirty = rs.tag_all;
  last_pass_advanced = false;
  slots.assign(rs.slot_info.size(), Value());
  refresh_slots();
}

void TagEngine::Impl::refresh_slots() {
  const CompiledRuleSet& rs = *rules;
  const std::int64_t t = now.value_or(0);
  for (std::size_t i = 0; i < rs.slot_info.size(); ++i) {
    const SlotInfo& info = rs.slot_info[i];
    switch (info.kind) {
      case SlotKind::kEvent:
        slots[i] = Value();
        break;
      case SlotKind::kTrait:
        slots[i] = traits[info.index].value();
        break;
      case SlotKind::kScoreValue:
        slots[i] = Value::of_number(decayed_value(scores[info.index], t, rs.scores[info.index].half_life_ms));
        break;
      case SlotKind::kGrade: {
        int g = grades[info.index];
        slots[i] = g < 0 ? Value() : Value::of_string(rs.scores[info.index].grades[static_cast<std::size_t>(g)].name);
        break;
      }
      case SlotKind::kTag:
        slots[i] = bit_is_set(tag_set, info.index) ? Value::of_bool(true) : Value();
        break;
      case SlotKind::kStage: {
        int s = stage_current[info.index];
        slots[i] = s < 0 ? Value() : Value::of_string(rs.stages[info.index].order[static_cast<std::size_t>(s)]);
        break;
      }
      case SlotKind::kUser:
        break;
    }
  }
  refresh_user_slots();
}

void TagEngine::Impl::refresh_user_slots() {
  const CompiledRuleSet& rs = *rules;
  for (std::size_t i = 0; i < rs.slot_info.size(); ++i) {
    if (rs.slot_info[i].kind != SlotKind::kUser) continue;
    Value v = Value::of_json(user_traits);
    for (const auto& segment : rs.user_paths[rs.slot_info[i].index]) {
      if (v.is_nullish()) {
        v = Value();
        break;
      }
      v = member(v, segment);
    }
    slots[i] = v;
  }
}

void TagEngine::Impl::reset_event_slots() {
  for (std::uint32_t slot : rules->event_paths.slots()) slots[slot] = Value();
}

void TagEngine::Impl::schedule_all() {
  expiries = {};
  for (std::uint32_t i = 0; i < traits.size(); ++i)
    if (auto next = traits[i].next_expiry()) expiries.push({*next, i});
  const std::int64_t t = now.value_or(0);
  for (std::uint32_t s = 0; s < scores.size(); ++s) {
    grades[s] = grade_index(decayed_value(scores[s], t, rules->scores[s].half_life_ms), rules->scores[s].grades);
    score_next_check[s] = compute_next_check(s, t);
  }
}

// ---------------------------------------------------------------------------------- passes

bool TagEngine::Impl::holds(std::uint32_t predicate) {
  EvalEnv env;
  env.program = &rules->program;
  env.slots = slots.data();
  env.context = this;
  env.scratch = &scratch;
  return test(env, rules->predicate_root[predicate], Value());
}

void TagEngine::Impl::begin_event() {
  reset_event_slots();
  event_storage.clear();
  parsed_event.reset();
  changes.clear();
}

void TagEngine::Impl::end_event() {
  reset_event_slots();
  event_json = nullptr;
  event_text = {};
  parsed_event.reset();
  event_storage.clear();
  scratch.clear();
}

void TagEngine::Impl::run_pass(std::int64_t t, bool has_event) {
  expire_traits(t);
  refresh_scores_for_time(t);
  if (has_event) {
    update_traits(t);
    update_scores(t);
  }
  evaluate_tags(has_event);
  evaluate_stages(has_event);
}

void TagEngine::Impl::on_trait_changed(std::uint32_t i) {
  std::uint32_t slot = rules->trait_slot[i];
  if (slot != kNoIndex) slots[slot] = traits[i].value();
  mark_dirty(rules->tags_by_trait[i]);
}

void TagEngine::Impl::mark_dirty(const std::vector<std::uint32_t>& tags) {
  for (std::uint32_t k : tags) set_bit(&dirty, k);
}

void TagEngine::Impl::expire_traits(std::int64_t t) {
  while (!expiries.empty() && expiries.top().first <= t) {
    std::uint32_t i = expiries.top().second;
    expiries.pop();
    if (traits[i].expire(t)) on_trait_changed(i);
    if (auto next = traits[i].next_expiry()) expiries.push({*next, i});
  }
}

std::optional<std::int64_t> TagEngine::Impl::compute_next_check(std::uint32_t s, std::int64_t t) const {
  const ScoreDef& def = rules->scores[s];
  if (def.grades.empty() && !def.read_by_rules) return std::nullopt;
  auto next = next_threshold_crossing(scores[s], def.half_life_ms, def.thresholds, t);
  if (def.opaque_reads && scores[s].value != 0) {
    std::int64_t poll = t + kOpaqueScorePollMs;
    if (!next || poll < *next) next = poll;
  }
  return next;
}

void TagEngine::Impl::set_grade(std::uint32_t s, int grade) {
  grades[s] = grade;
  std::uint32_t slot = rules->grade_slot[s];
  if (slot != kNoIndex)
    slots[slot] = grade < 0 ? Value() : Value::of_string(rules->scores[s].grades[static_cast<std::size_t>(grade)].name);
  mark_dirty(rules->tags_by_grade[s]);
}

void TagEngine::Impl::refresh_scores_for_time(std::int64_t t) {
  const CompiledRuleSet& rs = *rules;
  for (std::uint32_t s = 0; s < scores.size(); ++s) {
    const ScoreDef& def = rs.scores[s];
    if (rs.score_value_slot[s] != kNoIndex)
      slots[rs.score_value_slot[s]] = Value::of_number(decayed_value(scores[s], t, def.half_life_ms));
    if (!score_next_check[s] || *score_next_check[s] > t) continue;
    int g = grade_index(decayed_value(scores[s], t, def.half_life_ms), def.grades);
    if (g != grades[s]) {
      changes.scores.push_back({s, grades[s]});
      set_grade(s, g);
    }
    score_next_check[s] = compute_next_check(s, t);
  }
}

void TagEngine::Impl::update_traits(std::int64_t t) {
  const CompiledRuleSet& rs = *rules;
  EvalEnv env;
  env.program = &rs.program;
  env.slots = slots.data();
  env.context = this;
  env.scratch = &scratch;
  rs.trait_dispatch.for_each_candidate(slots.data(), &trait_marks, [&](std::uint32_t i) {
    const auto [where, property] = rs.trait_inputs[i];
    if (where != kNoIndex && !holds(where)) return;
    Value v = property == kNoIndex ? Value() : evaluate(env, property, Value());
    const bool was_scheduled = traits[i].next_expiry().has_value();
    if (!traits[i].add(t, v)) return;
    if (!was_scheduled)
      if (auto next = traits[i].next_expiry()) expiries.push({*next, i});
    on_trait_changed(i);
  });
}

void TagEngine::Impl::apply_score(std::uint32_t s, double value, std::int64_t t) {
  const ScoreDef& def = rules->scores[s];
  ScoreState& st = scores[s];
  st.value = value;
  st.last = t;
  if (value > st.max) st.max = value;
  if (rules->score_value_slot[s] != kNoIndex) slots[rules->score_value_slot[s]] = Value::of_number(value);
  int previous = grades[s];
  int g = grade_index(value, def.grades);
  changes.scores.push_back({s, previous});
  if (g != previous) set_grade(s, g);
  score_next_check[s] = compute_next_check(s, t);
}

void TagEngine::Impl::update_scores(std::int64_t t) {
  const CompiledRuleSet& rs = *rules;
  // The list is in (score, rule) order, so each score's points are added in rule order.
  std::int64_t pending = -1;
  double value = 0;
  rs.score_rule_dispatch.for_each_candidate(slots.data(), &score_marks, [&](std::uint32_t id) {
    auto [s, r] = rs.score_rules[id];
    const ScoreRuleDef& rule = rs.scores[s].rules[r];
    if (!holds(rule.predicate)) return;
    if (pending != static_cast<std::int64_t>(s)) {
      if (pending >= 0) apply_score(static_cast<std::uint32_t>(pending), value, t);
      pending = s;
      value = decayed_value(scores[s], t, rs.scores[s].half_life_ms);
    }
    value += rule.points;
  });
  if (pending >= 0) apply_score(static_cast<std::uint32_t>(pending), value, t);
}

void TagEngine::Impl::set_tag(std::uint32_t k, bool value) {
  if (bit_is_set(tag_set, k) == value) return;
  if (value) {
    set_bit(&tag_set, k);
    if (tag_first_seq[k] < 0) tag_first_seq[k] = static_cast<std::int64_t>(events);
  } else {
    clear_bit(&tag_set, k);
  }
  std::uint32_t slot = rules->tag_slot[k];
  if (slot != kNoIndex) slots[slot] = value ? Value::of_bool(true) : Value();
  mark_dirty(rules->tags_by_tag[k]);
  changes.tags.push_back({k, value});
}

void TagEngine::Impl::evaluate_tags(bool has_event) {
  const CompiledRuleSet& rs = *rules;
  const Bits* by_name = nullptr;
  if (has_event) {
    const Value& name = slots[rs.event_name_slot];
    if (name.kind == ValueKind::kString) {
      std::int64_t i = rs.tag_names.find(name.string_view());
      if (i >= 0) by_name = &rs.tag_bits_by_name[static_cast<std::size_t>(i)];
    }
  }
  for (std::size_t w = 0; w < rs.tag_words; ++w) {
    std::uint64_t done = 0;  // bits of this word already handled in this pass
    for (;;) {
      std::uint64_t named = by_name ? (*by_name)[w] : 0;
      std::uint64_t candidates;
      if (has_event) {
        // Constrained tags that are set must be re-checked: for another event name they are false.
        candidates = dirty[w] | rs.tag_every_event[w] | named |
                     (tag_set[w] & ~rs.tag_sticky[w] & rs.tag_event_constrained[w]);
      } else {
        candidates = (dirty[w] | rs.tag_time_driven[w]) & ~rs.tag_reads_event[w];
      }
      candidates &= ~done & ~(tag_set[w] & rs.tag_sticky[w]);  // a set sticky tag stays
      if (!candidates) break;
      const int b = count_trailing_zeros(candidates);
      const std::uint64_t bit = 1ULL << b;
      done |= bit | (bit - 1);
      dirty[w] &= ~bit;
      const auto k = static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(b));
      bool value;
      if (has_event && (rs.tag_event_constrained[w] & bit) && !(named & bit)) value = false;
      else value = holds(rs.tags[k].predicate);
      set_tag(k, value);
    }
  }
}

void TagEngine::Impl::evaluate_stages(bool has_event) {
  const CompiledRuleSet& rs = *rules;
  if (rs.stage_rules.empty()) return;
  for (std::size_t s = 0; s < stage_current.size(); ++s) stage_best[s] = stage_current[s];
  // Every stage rule sees the stages as they were before this pass; the furthest later stage
  // whose rule holds wins (the first such rule on a tie).
  auto consider = [&](std::uint32_t id) {
    auto [s, r] = rs.stage_rules[id];
    const StageRuleDef& rule = rs.stages[s].rules[r];
    if (static_cast<int>(rule.stage) <= stage_best[s]) return;
    if (!holds(rule.predicate)) return;
    stage_best[s] = static_cast<int>(rule.stage);
    stage_best_rule[s] = r;
  };
  if (has_event) rs.stage_rule_dispatch.for_each_candidate(slots.data(), &stage_marks, consider);
  else for (std::uint32_t id : rs.stage_rules_without_event) consider(id);
  for (std::uint32_t s = 0; s < stage_current.size(); ++s) {
    if (stage_best[s] == stage_current[s]) continue;
    changes.stages.push_back({s, stage_current[s], stage_best[s], stage_best_rule[s]});
    stage_current[s] = stage_best[s];
    std::uint32_t slot = rs.stage_slot[s];
    if (slot != kNoIndex) slots[slot] = Value::of_string(rs.stages[s].order[static_cast<std::size_t>(stage_best[s])]);
    mark_dirty(rs.tags_by_stage[s]);
  }
}

nlohmann::json TagEngine::Impl::changes_json() const {
  const CompiledRuleSet& rs = *rules;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& c : changes.tags) {
    nlohmann::json entry = {{"tag", rs.tags[c.tag].id}, {"rule", "/tags/" + std::to_string(c.tag)}};
    out[c.added ? "tags_added" : "tags_removed"].push_back(std::move(entry));
  }
  const std::int64_t t = now.value_or(0);
  for (const auto& c : changes.scores) {
    const ScoreDef& def = rs.scores[c.score];
    // json-ok: `out` is a local object; [] creates the array push_back fills
    out["scores"].push_back({{"id", def.id},
                             {"value", decayed_value(scores[c.score], t, def.half_life_ms)},
                             {"grade", grade_json(def, grades[c.score])},
                             {"previous_grade", grade_json(def, c.previous_grade)}});
  }
  for (const auto& m : changes.stages) {
    const StageDef& def = rs.stages[m.stage];
    // json-ok: `out` is a local object; [] creates the array push_back fills
    out["stages"].push_back({{"id", def.id},
                             {"from", m.from < 0 ? nlohmann::json() : nlohmann::json(def.order[static_cast<std::size_t>(m.from)])},
                             {"to", def.order[static_cast<std::size_t>(m.to)]},
                             {"rule", "/stages/" + std::to_string(m.stage) + "/rules/" + std::to_string(m.rule)}});
  }
  return out;
}

// ---------------------------------------------------------------------------------- context

nlohmann::json TagEngine::Impl::context_json() const {
  const CompiledRuleSet& rs = *rules;
  const std::int64_t t = now.value_or(0);
  nlohmann::json ctx = nlohmann::json::object();
  if (event_json) {
    ctx["event"] = *event_json;
  } else if (!event_text.empty()) {
    if (!parsed_event) parsed_event = nlohmann::json::parse(event_text, nullptr, false);
    ctx["event"] = parsed_event->is_discarded() ? nlohmann::json() : *parsed_event;
  }
  nlohmann::json traits_json = nlohmann::json::object(), scores_json = nlohmann::json::object(),
                 grades_json = nlohmann::json::object(), tags_json = nlohmann::json::object(),
                 stage_json = nlohmann::json::object();
  for (std::size_t i = 0; i < rs.traits.size(); ++i) traits_json[rs.traits[i].id] = traits[i].value_json();
  for (std::size_t s = 0; s < rs.scores.size(); ++s) {
    scores_json[rs.scores[s].id] = decayed_value(scores[s], t, rs.scores[s].half_life_ms);
    grades_json[rs.scores[s].id] = grade_json(rs.scores[s], grades[s]);
  }
  for (std::uint32_t k = 0; k < rs.tags.size(); ++k)
    if (bit_is_set(tag_set, k)) tags_json[rs.tags[k].id] = true;
  for (std::size_t s = 0; s < rs.stages.size(); ++s)
    if (stage_current[s] >= 0) stage_json[rs.stages[s].id] = rs.stages[s].order[static_cast<std::size_t>(stage_current[s])];
  ctx["traits"] = std::move(traits_json);
  ctx["scores"] = std::move(scores_json);
  ctx["grades"] = std::move(grades_json);
  ctx["tags"] = std::move(tags_json);
  ctx["stage"] = std::move(stage_json);
  ctx["user"] = user_traits;
  return ctx;
}

Value TagEngine::Impl::lookup(std::string_view dotted_path, Scratch* scratch_arena) const {
  const CompiledRuleSet& rs = *rules;
  auto registered = rs.lookup_paths.find(std::string(dotted_path));
  std::vector<std::string> segments;
  Value base;
  std::size_t from = 0;
  if (!dotted_path.empty()) {
    std::size_t start = 0;
    for (;;) {
      std::size_t dot = dotted_path.find('.', start);
      segments.emplace_back(dotted_path.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (registered != rs.lookup_paths.end()) {
    base = slots[registered->second.first];
    from = registered->second.second;
  } else {
    // Slow path: whole objects and computed paths read a context built on demand.
    base = Value::of_json(*scratch_arena->keep_json(context_json()));
  }
  for (std::size_t i = from; i < segments.size(); ++i) {
    if (base.is_nullish()) return Value();
    base = member(base, segments[i]);
    if (base.is_undefined()) return base;
  }
  return base;
}

// ---------------------------------------------------------------------------------- TagEngine

TagEngine::TagEngine() : impl_(std::make_unique<Impl>()) {}
TagEngine::~TagEngine() = default;
TagEngine::TagEngine(TagEngine&&) noexcept = default;
TagEngine& TagEngine::operator=(TagEngine&&) noexcept = default;

std::vector<RuleError> TagEngine::load(std::string_view rules_json) {
  std::vector<RuleError> errors;
  std::unique_ptr<CompiledRuleSet> compiled = load_rule_text(rules_json, &errors);
  if (!compiled) return errors;
  // Carry the state over through its persisted form: traits and scores whose definition
  // fingerprint is unchanged keep their state, tags and stages that still exist stay.
  std::optional<nlohmann::json> carried;
  if (impl_->rules) carried = impl_->state_json();
  else if (impl_->pending_state) carried = std::move(impl_->pending_state);
  impl_->pending_state.reset();
  impl_->rules = std::move(compiled);
  impl_->reset_state();
  if (carried) {
    std::string ignored;
    if (!impl_->apply_state(*carried, &ignored)) impl_->reset_state();
  }
  return {};
}

bool TagEngine::has_rules() const { return impl_->rules != nullptr; }

std::string TagEngine::version() const { return impl_->rules ? impl_->rules->version : std::string(); }

nlohmann::json TagEngine::process(const nlohmann::json& event, std::int64_t t_ms) {
  Impl& m = *impl_;
  if (!m.rules) {
    ++m.events;
    return nlohmann::json::object();
  }
  const std::int64_t t = m.now ? std::max(*m.now, t_ms) : t_ms;  // time never runs backwards
  m.now = t;
  m.begin_event();
  m.event_json = &event;
  m.rules->event_paths.extract(event, m.slots.data());
  m.run_pass(t, true);
  m.last_pass_advanced = false;
  ++m.events;
  nlohmann::json out = m.changes_json();
  m.end_event();
  return out;
}

bool TagEngine::process_text(std::string_view event_json, std::int64_t default_t_ms, nlohmann::json* changes,
                             std::string* error) {
  Impl& m = *impl_;
  if (!m.rules) {
    auto parsed = nlohmann::json::parse(event_json, nullptr, false);
    if (!parsed.is_object()) {
      if (error) *error = "event is not a JSON object";
      return false;
    }
    ++m.events;
    if (changes) *changes = nlohmann::json::object();
    return true;
  }
  m.begin_event();
  std::string scan_error;
  if (!m.rules->event_paths.extract_text(event_json, m.slots.data(), &m.event_storage, &scan_error)) {
    if (error) *error = scan_error;
    m.end_event();
    return false;
  }
  std::int64_t t = default_t_ms;
  const Value& stamp = m.slots[m.rules->timestamp_slot];
  if (stamp.kind == ValueKind::kString) {
    auto parsed = touchpoint::parse_iso8601_ms(stamp.string_view());
    if (!parsed) {
      if (error) *error = "malformed timestamp \"" + std::string(stamp.string_view()) + "\"";
      m.end_event();
      return false;
    }
    t = *parsed;
  } else if (stamp.kind == ValueKind::kNumber && std::isfinite(stamp.number)) {
    t = static_cast<std::int64_t>(stamp.number);
  }
  t = m.now ? std::max(*m.now, t) : t;
  m.now = t;
  m.event_text = event_json;
  m.run_pass(t, true);
  m.last_pass_advanced = false;
  ++m.events;
  if (changes) *changes = m.changes_json();
  m.end_event();
  return true;
}

nlohmann::json TagEngine::advance(std::int64_t t_ms) {
  Impl& m = *impl_;
  if (!m.rules) return nlohmann::json::object();
  const std::int64_t t = m.now ? std::max(*m.now, t_ms) : t_ms;
  m.now = t;
  m.begin_event();
  m.run_pass(t, false);
  m.last_pass_advanced = true;
  nlohmann::json out = m.changes_json();
  m.end_event();
  return out;
}

std::optional<std::int64_t> TagEngine::next_change_at() const {
  const Impl& m = *impl_;
  if (!m.rules) return std::nullopt;
  const CompiledRuleSet& rs = *m.rules;
  const std::int64_t t = m.now.value_or(0);
  std::optional<std::int64_t> next;
  auto consider = [&](std::int64_t when) {
    if (!next || when < *next) next = when;
  };
  if (!m.last_pass_advanced)
    for (std::size_t w = 0; w < rs.tag_words; ++w)
      if (m.dirty[w] & ~rs.tag_reads_event[w] & ~(m.tag_set[w] & rs.tag_sticky[w])) consider(t);  // due now
  if (!m.expiries.empty()) consider(std::max(m.expiries.top().first, t));
  for (const auto& check : m.score_next_check)
    if (check) consider(std::max(*check, t));
  return next;
}

void TagEngine::set_user_traits(const nlohmann::json& traits) {
  Impl& m = *impl_;
  m.user_traits = traits.is_object() ? traits : nlohmann::json::object();
  if (!m.rules) return;
  m.refresh_user_slots();
  m.mark_dirty(m.rules->tags_by_user);
  m.last_pass_advanced = false;  // the user's tags are due now
}

nlohmann::json TagEngine::tags() const {
  const Impl& m = *impl_;
  std::vector<std::string> ids;
  if (m.rules)
    for (std::uint32_t k = 0; k < m.rules->tags.size(); ++k)
      if (bit_is_set(m.tag_set, k)) ids.push_back(m.rules->tags[k].id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

nlohmann::json TagEngine::traits() const {
  const Impl& m = *impl_;
  nlohmann::json out = nlohmann::json::object();
  if (!m.rules) return out;
  for (std::size_t i = 0; i < m.rules->traits.size(); ++i) out[m.rules->traits[i].id] = m.traits[i].value_json();
  return out;
}

nlohmann::json TagEngine::scores(std::int64_t t_ms) const {
  const Impl& m = *impl_;
  nlohmann::json out = nlohmann::json::object();
  if (!m.rules) return out;
  for (std::size_t s = 0; s < m.rules->scores.size(); ++s) {
    const ScoreDef& def = m.rules->scores[s];
    double v = decayed_value(m.scores[s], t_ms, def.half_life_ms);
    out[def.id] = {{"value", v}, {"grade", grade_json(def, grade_index(v, def.grades))}, {"max", m.scores[s].max}};
  }
  return out;
}

nlohmann::json TagEngine::stages() const {
  const Impl& m = *impl_;
  nlohmann::json out = nlohmann::json::object();
  if (!m.rules) return out;
  for (std::size_t s = 0; s < m.rules->stages.size(); ++s)
    if (m.stage_current[s] >= 0)
      out[m.rules->stages[s].id] = m.rules->stages[s].order[static_cast<std::size_t>(m.stage_current[s])];
  return out;
}

nlohmann::json TagEngine::summary(std::int64_t t_end_ms) const {
  const Impl& m = *impl_;
  nlohmann::json out = nlohmann::json::object();
  out["events"] = m.events;
  out["t_end"] = touchpoint::format_iso8601_ms(t_end_ms);
  nlohmann::json tags_json = nlohmann::json::object(), traits_json = nlohmann::json::object();
  if (m.rules) {
    for (std::uint32_t k = 0; k < m.rules->tags.size(); ++k)
      if (bit_is_set(m.tag_set, k)) tags_json[m.rules->tags[k].id] = {{"first_seq", m.tag_first_seq[k]}};
    for (std::size_t i = 0; i < m.rules->traits.size(); ++i)
      traits_json[m.rules->traits[i].id] = m.traits[i].value_json_at(t_end_ms);
  }
  out["tags"] = std::move(tags_json);
  out["traits"] = std::move(traits_json);
  out["scores"] = scores(t_end_ms);
  if (m.rules && !m.rules->stages.empty()) out["stages"] = stages();
  return out;
}

void TagEngine::clear_state() {
  Impl& m = *impl_;
  m.events = 0;
  m.now.reset();
  m.user_traits = nlohmann::json::object();
  m.pending_state.reset();
  if (m.rules) m.reset_state();
}

std::uint64_t TagEngine::events_processed() const { return impl_->events; }

std::optional<std::int64_t> TagEngine::current_time() const { return impl_->now; }

std::size_t TagEngine::state_memory_bytes() const {
  const Impl& m = *impl_;
  std::size_t bytes = sizeof(Impl);
  for (const auto& t : m.traits) bytes += t.memory_bytes();
  bytes += m.scores.capacity() * sizeof(ScoreState) + m.grades.capacity() * sizeof(int) +
           m.score_next_check.capacity() * sizeof(std::optional<std::int64_t>) +
           (m.tag_set.capacity() + m.dirty.capacity()) * sizeof(std::uint64_t) +
           m.tag_first_seq.capacity() * sizeof(std::int64_t) + m.stage_current.capacity() * sizeof(int) +
           m.expiries.size() * sizeof(Impl::Expiry) + m.slots.capacity() * sizeof(Value);
  return bytes;
}

}  // namespace touchpoint::rules
