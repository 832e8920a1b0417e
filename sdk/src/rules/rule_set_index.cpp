// The tables derived from a rule set's definitions: hot copies for the per-event loops, the
// dispatch trees, the lists of score and stage rules, and the tag schedule. Built after compiling
// (rule_set_compiler.cpp) and after loading a program (rule_program_loader.cpp), so a program
// carries definitions only and the two paths cannot disagree.
#include <map>

#include "rule_program.hpp"

namespace touchpoint::rules {

namespace {

void build_dispatch(const CompiledRuleSet& rs, const std::vector<std::uint32_t>& predicate_of_item, DispatchTree* out) {
  std::vector<StringConstraints> constraints;
  constraints.reserve(predicate_of_item.size());
  for (std::uint32_t p : predicate_of_item)
    constraints.push_back(p == kNoIndex ? StringConstraints{} : rs.predicates[p].constraints);
  out->build(constraints);
}

void build_tag_schedule(CompiledRuleSet* rs) {
  const std::size_t n = rs->tags.size();
  rs->tag_words = (n + 63) / 64;
  auto bits = [&]() { return Bits(rs->tag_words, 0); };
  rs->tag_sticky = bits();
  rs->tag_all = bits();
  for (std::size_t k = 0; k < n; ++k) rs->tag_all[k / 64] |= 1ULL << (k % 64);
  rs->tag_reads_event = bits();
  rs->tag_event_constrained = bits();
  rs->tag_every_event = bits();
  rs->tag_time_driven = bits();
  rs->tags_by_trait.assign(rs->traits.size(), {});
  rs->tags_by_grade.assign(rs->scores.size(), {});
  rs->tags_by_tag.assign(n, {});
  rs->tags_by_stage.assign(rs->stages.size(), {});
  rs->tags_by_user.clear();
  rs->tag_names = StringIndex();
  rs->tag_bits_by_name.clear();
  std::map<std::string, std::vector<std::uint32_t>> by_name;
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::uint64_t bit = 1ULL << (k % 64);
    const std::size_t w = k / 64;
    const TagDef& tag = rs->tags[k];
    const Predicate& p = rs->predicates[tag.predicate];
    const Reads& r = p.reads;
    const bool reads_event = r.event || r.everything;
    const bool constrained = reads_event && p.event_names.has_value();
    if (tag.sticky) rs->tag_sticky[w] |= bit;
    if (reads_event) rs->tag_reads_event[w] |= bit;
    if (constrained) {
      rs->tag_event_constrained[w] |= bit;
      for (const auto& name : *p.event_names) by_name[name].push_back(k);
    }
    if ((reads_event && !constrained) || (!reads_event && !r.score_values.empty())) rs->tag_every_event[w] |= bit;
    if (!reads_event && !r.score_values.empty()) rs->tag_time_driven[w] |= bit;
    for (auto i : r.traits) rs->tags_by_trait[i].push_back(k);
    for (auto i : r.grades) rs->tags_by_grade[i].push_back(k);
    for (auto i : r.tags) rs->tags_by_tag[i].push_back(k);
    for (auto i : r.stages) rs->tags_by_stage[i].push_back(k);
    if (r.user) rs->tags_by_user.push_back(k);
  }
  for (auto& [name, tags] : by_name) {
    Bits b = bits();
    for (auto k : tags) b[k / 64] |= 1ULL << (k % 64);
    rs->tag_names.insert(name, static_cast<std::uint32_t>(rs->tag_bits_by_name.size()));
    rs->tag_bits_by_name.push_back(std::move(b));
  }
}

}  // namespace

void index_rule_set(CompiledRuleSet* rs) {
  rs->predicate_root.clear();
  for (const auto& p : rs->predicates) rs->predicate_root.push_back(p.root);
  rs->trait_inputs.clear();
  std::vector<std::uint32_t> trait_where;
  for (const auto& t : rs->traits) {
    trait_where.push_back(t.where);
    rs->trait_inputs.emplace_back(t.where, t.property);
  }
  build_dispatch(*rs, trait_where, &rs->trait_dispatch);
  rs->score_rules.clear();
  for (std::uint32_t s = 0; s < rs->scores.size(); ++s)
    for (std::uint32_t r = 0; r < rs->scores[s].rules.size(); ++r) rs->score_rules.emplace_back(s, r);
  std::vector<std::uint32_t> score_preds;
  for (auto [s, r] : rs->score_rules) score_preds.push_back(rs->scores[s].rules[r].predicate);
  build_dispatch(*rs, score_preds, &rs->score_rule_dispatch);
  rs->stage_rules.clear();
  for (std::uint32_t s = 0; s < rs->stages.size(); ++s)
    for (std::uint32_t r = 0; r < rs->stages[s].rules.size(); ++r) rs->stage_rules.emplace_back(s, r);
  rs->stage_rules_without_event.clear();
  std::vector<std::uint32_t> stage_preds;
  for (std::uint32_t i = 0; i < rs->stage_rules.size(); ++i) {
    auto [s, r] = rs->stage_rules[i];
    std::uint32_t p = rs->stages[s].rules[r].predicate;
    stage_preds.push_back(p);
    const Reads& reads = rs->predicates[p].reads;
    if (!reads.event && !reads.everything) rs->stage_rules_without_event.push_back(i);
  }
  build_dispatch(*rs, stage_preds, &rs->stage_rule_dispatch);
  build_tag_schedule(rs);
}

}  // namespace touchpoint::rules
