// Writes a compiled rule set as a program (format in rule_program.hpp and docs/rules.md). Runs
// where rules are authored: the collector and `touchpoint-rules compile`; never on the device.
#include <cstdio>
#include <map>

#include "rule_program.hpp"

namespace touchpoint::rules {

namespace {

using nlohmann::json;

json u32(std::uint32_t v) { return v == kNoIndex ? json(-1) : json(v); }

json list(const std::vector<std::uint32_t>& v) {
  json out = json::array();
  for (auto x : v) out.push_back(u32(x));
  return out;
}

json strings(const std::vector<std::string>& v) {
  json out = json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Nodes are 5 numbers [op, flags, child count, slot, path]; the compiler appends each node's
// children to one list in node order, so where a node's children start is implied, and children
// are written as distances back from their parent (small, repetitive numbers that compress well).
// Literal and fused nodes take the next literal of "l", in node order.
json program_json(const Program& p) {
  json nodes = json::array(), literals = json::array(), children = json::array();
  for (std::uint32_t i = 0; i < p.nodes.size(); ++i) {
    const Node& n = p.nodes[i];
    if (n.op == Op::kLiteral || n.op >= Op::kSlotStrictEqString) literals.push_back(to_json(n.literal));
    for (json v : {json(static_cast<int>(n.op)), json((n.in_context ? 1 : 0) | (n.has_default ? 2 : 0)),
                   json(n.child_count), n.op == Op::kVarSlot || n.op >= Op::kSlotStrictEqString ? json(n.slot) : json(-1),
                   u32(n.path)})
      nodes.push_back(std::move(v));
    for (std::uint32_t k = 0; k < n.child_count; ++k) children.push_back(i - p.child_ids(n)[k]);
  }
  json paths = json::array();
  for (const VarPath& v : p.paths) paths.push_back(strings(v.segments));
  json ors = json::array();
  for (const OrIndex& o : p.or_indexes) {
    json names = json::array(), lists = json::array();
    for (const auto& [name, id] : o.names.entries()) names.push_back({name, id});
    for (const auto& l : o.lists) lists.push_back(list(l));
    ors.push_back({o.name_slot, o.all_constrained, names, lists, list(o.unconstrained)});
  }
  return {{"n", nodes}, {"c", children}, {"l", literals}, {"p", paths}, {"o", ors}};
}

json reads_json(const Reads& r) {
  return {(r.event ? 1 : 0) | (r.everything ? 2 : 0) | (r.user ? 4 : 0), list(r.traits), list(r.score_values),
          list(r.grades), list(r.tags), list(r.stages)};
}

json constraints_json(const StringConstraints& c) {
  json out = json::array();
  for (const auto& [slot, k] : c) out.push_back({slot, k.prefix, strings(k.strings)});
  return out;
}

}  // namespace

namespace {

std::string envelope(const std::string& covered) {
  return std::string(kProgramFormatPrefix) + std::to_string(kProgramFormatVersion) + "\",\"checksum\":\"" +
         hex64(program_checksum(covered)) + "\",\"bytes\":" + std::to_string(covered.size()) + "," + covered + "}";
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string encode_program(const CompiledRuleSet& rs) {
  json predicates = json::array();
  for (const Predicate& p : rs.predicates)
    predicates.push_back({p.root, p.pointer, reads_json(p.reads), p.event_names ? strings(*p.event_names) : json(nullptr),
                          constraints_json(p.constraints)});
  json traits = json::array();
  for (const TraitDef& t : rs.traits)
    traits.push_back({t.id, static_cast<int>(t.kind), t.window_ms, u32(t.where), u32(t.property), hex64(t.fingerprint)});
  json scores = json::array();
  for (const ScoreDef& s : rs.scores) {
    json rules = json::array(), grades = json::array();
    for (const auto& r : s.rules) rules.push_back({r.predicate, r.points});
    for (const auto& g : s.grades) grades.push_back({g.name, g.min});
    scores.push_back({s.id, s.half_life_ms, rules, grades, hex64(s.fingerprint), s.thresholds, s.opaque_reads, s.read_by_rules});
  }
  json tags = json::array();
  for (const TagDef& t : rs.tags) tags.push_back({t.id, t.predicate, t.sticky});
  json stages = json::array();
  for (const StageDef& s : rs.stages) {
    json rules = json::array();
    for (const auto& r : s.rules) rules.push_back({r.stage, r.predicate});
    stages.push_back({s.id, strings(s.order), rules});
  }
  json slots = json::array();
  for (const SlotInfo& s : rs.slot_info) slots.push_back({static_cast<int>(s.kind), s.index});
  json event_paths = json::array();
  for (const auto& [segments, slot] : rs.event_path_list) event_paths.push_back({strings(segments), slot});
  json user_paths = json::array();
  for (const auto& segments : rs.user_paths) user_paths.push_back(strings(segments));
  // Sorted: the map's order varies between runs, and the same rules must give the same bytes
  // (the ETag).
  std::map<std::string, std::pair<std::uint32_t, std::size_t>> sorted(rs.lookup_paths.begin(), rs.lookup_paths.end());
  json lookups = json::array();
  for (const auto& [text, at] : sorted) lookups.push_back({text, at.first, at.second});
  json program = {{"logic", program_json(rs.program)}, {"predicates", predicates}, {"traits", traits},
                  {"scores", scores}, {"tags", tags}, {"stages", stages}, {"slots", slots},
                  {"event_name_slot", rs.event_name_slot}, {"timestamp_slot", rs.timestamp_slot},
                  {"trait_slot", list(rs.trait_slot)}, {"score_value_slot", list(rs.score_value_slot)},
                  {"grade_slot", list(rs.grade_slot)}, {"tag_slot", list(rs.tag_slot)},
                  {"stage_slot", list(rs.stage_slot)}, {"event_paths", event_paths}, {"user_paths", user_paths},
                  {"lookup_paths", lookups}};
  return envelope("\"version\":" + dump(rs.version) + ",\"program\":" + dump(program));
}

}  // namespace touchpoint::rules

#include "touchpoint/rules/rule_compiler.hpp"

namespace touchpoint::rules {

std::string compile_rules_to_program(std::string_view rules_json, std::vector<RuleError>* errors) {
  std::vector<RuleError> local;
  if (!errors) errors = &local;
  if (looks_like_program(rules_json)) {
    errors->assign(1, {"", "already a compiled program"});
    return {};
  }
  auto rs = compile_rule_set(rules_json, errors);
  return rs ? encode_program(*rs) : std::string();
}

std::string rejected_program(const std::string& version, const std::vector<RuleError>& errors) {
  json list = json::array();
  for (std::size_t i = 0; i < errors.size() && i < kMaxReportedErrors; ++i)
    list.push_back({{"path", errors[i].path}, {"message", errors[i].message}});
  return envelope("\"version\":" + dump(version) + ",\"errors\":" + dump(list));
}

}  // namespace touchpoint::rules
