// Reads a compiled rule program (format in rule_program.hpp and docs/rules.md) on the device. The
// text comes from the network or from storage, so nothing in it is trusted: the envelope (format
// version, byte count, checksum) is checked first, then every index against what it points into
// and every invariant the evaluator and the tag engine rely on (children before parents, bounded
// depth, literal kinds of the fused leaves, slot kinds). Errors name the JSON pointer of the part.
#include <cmath>

#include "duration.hpp"
#include "rule_program.hpp"

namespace touchpoint::rules {

std::uint64_t program_checksum(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64: detects corruption, not tampering
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool looks_like_program(std::string_view text) {
  const std::string_view prefix(kProgramFormatPrefix);
  return text.substr(0, prefix.size()) == prefix;
}

namespace {

using nlohmann::json;

constexpr std::uint32_t kOpCount = static_cast<std::uint32_t>(Op::kSlotEndsWith) + 1;
constexpr std::uint32_t kTraitKindCount = static_cast<std::uint32_t>(TraitKind::kUniqueList) + 1;
constexpr std::uint32_t kSlotKindCount = static_cast<std::uint32_t>(SlotKind::kUser) + 1;
constexpr std::size_t kNodeFields = 5;  // [op, flags, child count, slot, path]

class Reader {
 public:
  explicit Reader(std::vector<RuleError>* errors) : errors_(errors) {}

  bool fail(const std::string& path, const std::string& message) {
    if (errors_->empty()) errors_->push_back({path, message});
    return false;
  }

  const json* member(const json& obj, const char* key, const std::string& path) {
    if (obj.is_object()) {
      auto it = obj.find(key);
      if (it != obj.end()) return &*it;
    }
    fail(path + "/" + key, "missing");
    return nullptr;
  }
  const json* array(const json& obj, const char* key, const std::string& path) {
    const json* v = member(obj, key, path);
    if (v && !v->is_array()) {
      fail(path + "/" + key, "must be an array");
      return nullptr;
    }
    return v;
  }
  // Element i of an array that must itself be an array of exactly n (0: any number of) elements.
  const json* tuple(const json& arr, std::size_t i, std::size_t n, const std::string& path) {
    const json& v = arr[i];
    if (!v.is_array() || (n && v.size() != n)) {
      fail(path, n ? "must be an array of " + std::to_string(n) : std::string("must be an array"));
      return nullptr;
    }
    return &v;
  }
  bool index(const json& v, std::size_t limit, std::uint32_t* out, const std::string& path) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() < limit) {
      *out = static_cast<std::uint32_t>(v.get<std::uint64_t>());
      return true;
    }
    return fail(path, "index out of range (must be below " + std::to_string(limit) + ")");
  }
  // -1 = none (kNoIndex).
  bool optional_index(const json& v, std::size_t limit, std::uint32_t* out, const std::string& path) {
    if (v.is_number_integer() && v.get<std::int64_t>() == -1) {
      *out = kNoIndex;
      return true;
    }
    return index(v, limit, out, path);
  }
  bool indices(const json& v, std::size_t limit, std::vector<std::uint32_t>* out, const std::string& path) {
    if (!v.is_array()) return fail(path, "must be an array");
    out->resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!index(v[i], limit, &(*out)[i], path + "/" + std::to_string(i))) return false;
    return true;
  }
  bool string(const json& v, std::string* out, const std::string& path) {
    if (!v.is_string()) return fail(path, "must be a string");
    *out = *v.get_ptr<const std::string*>();
    return true;
  }
  bool strings(const json& v, std::vector<std::string>* out, const std::string& path) {
    if (!v.is_array()) return fail(path, "must be an array of strings");
    out->resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!string(v[i], &(*out)[i], path + "/" + std::to_string(i))) return false;
    return true;
  }
  bool boolean(const json& v, bool* out, const std::string& path) {
    if (!v.is_boolean()) return fail(path, "must be a boolean");
    *out = v.get<bool>();
    return true;
  }
  bool number(const json& v, double* out, const std::string& path) {
    if (!v.is_number() || !std::isfinite(v.get<double>())) return fail(path, "must be a finite number");
    *out = v.get<double>();
    return true;
  }
  bool integer(const json& v, std::int64_t lo, std::int64_t hi, std::int64_t* out, const std::string& path) {
    if (v.is_number_integer() && v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi) {
      *out = v.get<std::int64_t>();
      return true;
    }
    return fail(path, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  bool hex64(const json& v, std::uint64_t* out, const std::string& path) {
    if (!v.is_string() || v.get_ptr<const std::string*>()->size() != 16) return fail(path, "must be 16 hex digits");
    std::uint64_t h = 0;
    for (char c : *v.get_ptr<const std::string*>()) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return fail(path, "must be 16 hex digits");
      h = h << 4 | static_cast<std::uint64_t>(d);
    }
    *out = h;
    return true;
  }

 private:
  std::vector<RuleError>* errors_;
};

std::string at(const std::string& path, std::size_t i) { return path + "/" + std::to_string(i); }

std::string join_path(const std::vector<std::string>& segments) {
  std::string text;
  for (std::size_t i = 0; i < segments.size(); ++i) text += (i ? "." : "") + segments[i];
  return text;
}

bool literal_fits(Op op, const Value& v) {
  switch (op) {
    case Op::kSlotStrictEqString:
    case Op::kSlotStrictNeString:
    case Op::kSlotStartsWith:
    case Op::kSlotEndsWith:
      return v.kind == ValueKind::kString;
    case Op::kSlotGtNumber:
    case Op::kSlotGeNumber:
    case Op::kSlotLtNumber:
    case Op::kSlotLeNumber:
      return v.kind == ValueKind::kNumber;
    case Op::kSlotInStrings:
      if (v.kind != ValueKind::kArray || v.backing != Backing::kItems) return false;
      for (std::size_t i = 0; i < v.items.size; ++i)
        if (v.items.data[i].kind != ValueKind::kString) return false;
      return true;
    default:
      return true;
  }
}

// keep_literal recurses into arrays: bound it before.
bool literal_depth_ok(const json& v, std::size_t depth) {
  if (depth > kMaxProgramDepth) return false;
  if (v.is_array())
    for (const auto& e : v)
      if (!literal_depth_ok(e, depth + 1)) return false;
  return true;
}

class ProgramDecoder {
 public:
  ProgramDecoder(CompiledRuleSet* rs, std::vector<RuleError>* errors) : rs_(rs), r_(errors) {}

  bool run(const json& doc) {
    const json* version = r_.member(doc, "version", "");
    if (!version || !r_.string(*version, &rs_->version, "/version")) return false;
    const json* p = r_.member(doc, "program", "");
    if (!p || !p->is_object()) return r_.fail("/program", "must be an object");
    const std::string base = "/program";
    const json *traits, *scores, *tags, *stages, *slots, *user_paths;
    if (!(traits = r_.array(*p, "traits", base)) || !(scores = r_.array(*p, "scores", base)) ||
        !(tags = r_.array(*p, "tags", base)) || !(stages = r_.array(*p, "stages", base)) ||
        !(slots = r_.array(*p, "slots", base)) || !(user_paths = r_.array(*p, "user_paths", base)))
      return false;
    for (const json* section : {traits, scores, tags, stages})
      if (section->size() > kMaxRulesPerSection) return r_.fail(base, "more than " + std::to_string(kMaxRulesPerSection) + " entries in a section");
    rs_->traits.resize(traits->size());
    rs_->scores.resize(scores->size());
    rs_->tags.resize(tags->size());
    rs_->stages.resize(stages->size());
    return read_user_paths(*user_paths) && read_slots(*slots) && read_logic(*p) && read_predicates(*p) &&
           read_traits(*traits) && read_scores(*scores) && read_tags(*tags) && read_stages(*stages) &&
           read_slot_tables(*p) && read_event_paths(*p) && read_lookup_paths(*p);
  }

 private:
  bool read_user_paths(const json& list) {
    rs_->user_paths.resize(list.size());
    for (std::size_t i = 0; i < list.size(); ++i)
      if (!r_.strings(list[i], &rs_->user_paths[i], at("/program/user_paths", i))) return false;
    return true;
  }

  std::size_t kind_limit(SlotKind kind) const {
    switch (kind) {
      case SlotKind::kEvent: return 1;
      case SlotKind::kTrait: return rs_->traits.size();
      case SlotKind::kScoreValue:
      case SlotKind::kGrade: return rs_->scores.size();
      case SlotKind::kTag: return rs_->tags.size();
      case SlotKind::kStage: return rs_->stages.size();
      case SlotKind::kUser: return rs_->user_paths.size();
    }
    return 0;
  }

  bool read_slots(const json& list) {
    rs_->slot_info.resize(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = at("/program/slots", i);
      const json* t = r_.tuple(list, i, 2, path);
      std::uint32_t kind = 0, index = 0;
      if (!t || !r_.index((*t)[0], kSlotKindCount, &kind, path + "/0")) return false;
      const auto k = static_cast<SlotKind>(kind);
      if (!r_.index((*t)[1], kind_limit(k), &index, path + "/1")) return false;
      rs_->slot_info[i] = {k, index};
    }
    return true;
  }

  bool read_logic(const json& p) {
    const std::string base = "/program/logic";
    const json* logic = r_.member(p, "logic", "/program");
    if (!logic) return false;
    const json *nodes, *children, *literals, *paths, *ors;
    if (!(nodes = r_.array(*logic, "n", base)) || !(children = r_.array(*logic, "c", base)) ||
        !(literals = r_.array(*logic, "l", base)) || !(paths = r_.array(*logic, "p", base)) ||
        !(ors = r_.array(*logic, "o", base)))
      return false;
    Program& prog = rs_->program;
    if (nodes->size() % kNodeFields) return r_.fail(base + "/n", "not a whole number of nodes");
    const std::size_t node_count = nodes->size() / kNodeFields;
    prog.paths.resize(paths->size());
    for (std::size_t i = 0; i < paths->size(); ++i) {
      if (!r_.strings((*paths)[i], &prog.paths[i].segments, at(base + "/p", i))) return false;
      prog.paths[i].text = join_path(prog.paths[i].segments);
    }
    std::vector<Value> literal_values;
    literal_values.reserve(literals->size());
    for (std::size_t i = 0; i < literals->size(); ++i) {
      if (!literal_depth_ok((*literals)[i], 0)) return r_.fail(at(base + "/l", i), "nested deeper than " + std::to_string(kMaxProgramDepth));
      literal_values.push_back(keep_literal(&prog, (*literals)[i]));
    }
    // Children are listed in node order as distances back from their parent: every child is
    // below its parent, so the graph has no cycles and depth is computed in one pass.
    const json& deltas = *children;
    prog.children.resize(deltas.size());
    prog.nodes.resize(node_count);
    std::vector<std::uint16_t> depth(node_count, 1);
    const std::size_t slot_count = rs_->slot_info.size();
    std::size_t next_child = 0, next_literal = 0;
    for (std::size_t i = 0; i < node_count; ++i) {
      const std::string path = at(base + "/n", i * kNodeFields);
      const json* f = &(*nodes)[i * kNodeFields];
      Node& n = prog.nodes[i];
      std::uint32_t op = 0, flags = 0, count = 0;
      if (!r_.index(f[0], kOpCount, &op, path) || !r_.index(f[1], 4, &flags, path) ||
          !r_.index(f[2], deltas.size() - next_child + 1, &count, path) ||
          !r_.optional_index(f[3], slot_count, &n.slot, path) || !r_.optional_index(f[4], kNoIndex, &n.path, path))
        return false;
      n.op = static_cast<Op>(op);
      n.in_context = flags & 1;
      n.has_default = flags & 2;
      n.first_child = static_cast<std::uint32_t>(next_child);
      n.child_count = count;
      for (std::uint32_t k = 0; k < count; ++k, ++next_child) {
        std::uint32_t back = 0;
        if (!r_.index(deltas[next_child], i + 1, &back, at(base + "/c", next_child)) || back == 0)
          return r_.fail(path, "a child that is not below the node");
        const std::uint32_t c = static_cast<std::uint32_t>(i - back);
        prog.children[next_child] = c;
        if (depth[c] + 1 > depth[i]) depth[i] = static_cast<std::uint16_t>(depth[c] + 1);
      }
      if (depth[i] > kMaxProgramDepth) return r_.fail(path, "nested deeper than " + std::to_string(kMaxProgramDepth));
      const bool fused = n.op >= Op::kSlotStrictEqString;
      if (n.op == Op::kLiteral || fused) {
        if (next_literal >= literal_values.size()) return r_.fail(path, "missing literal");
        n.literal = literal_values[next_literal++];
        if (!literal_fits(n.op, n.literal)) return r_.fail(path, "mistyped literal");
      }
      const bool reads_slot = n.op == Op::kVarSlot || fused;
      if (reads_slot && n.slot == kNoIndex) return r_.fail(path, "missing slot");
      if (n.slot == kNoIndex) n.slot = 0;
      const bool needs_path = n.op == Op::kVarScope || n.op == Op::kVarContext;
      if (n.op == Op::kOrIndexed) {
        if (n.path >= ors->size()) return r_.fail(path, "or-index out of range");
      } else if (n.path != kNoIndex || needs_path) {
        if (n.path >= prog.paths.size()) return r_.fail(path, "var path out of range");
      }
      if (n.has_default && count == 0) return r_.fail(path, "a default needs a child");
    }
    if (next_child != deltas.size()) return r_.fail(base + "/c", "children left over");
    if (next_literal != literal_values.size()) return r_.fail(base + "/l", "literals left over");
    prog.or_indexes.resize(ors->size());
    for (std::size_t i = 0; i < ors->size(); ++i)
      if (!read_or_index((*ors)[i], &prog.or_indexes[i], at(base + "/o", i))) return false;
    // Candidates of an indexed `or` are nodes below it.
    for (std::size_t i = 0; i < node_count; ++i) {
      const Node& n = prog.nodes[i];
      if (n.op != Op::kOrIndexed) continue;
      const OrIndex& o = prog.or_indexes[n.path];
      for (const auto& l : o.lists)
        for (auto c : l)
          if (c >= i) return r_.fail(at(base + "/n", i * kNodeFields), "or-index candidate not below the node");
      for (auto c : o.unconstrained)
        if (c >= i) return r_.fail(at(base + "/n", i * kNodeFields), "or-index candidate not below the node");
    }
    return true;
  }

  bool read_or_index(const json& v, OrIndex* o, const std::string& path) {
    if (!v.is_array() || v.size() != 5) return r_.fail(path, "must be an array of 5");
    const std::size_t node_count = rs_->program.nodes.size();
    if (!r_.index(v[0], rs_->slot_info.size(), &o->name_slot, path + "/0") ||
        !r_.boolean(v[1], &o->all_constrained, path + "/1") || !v[2].is_array() || !v[3].is_array())
      return r_.fail(path, "malformed or-index");
    o->lists.resize(v[3].size());
    for (std::size_t i = 0; i < v[3].size(); ++i)
      if (!r_.indices(v[3][i], node_count, &o->lists[i], at(path + "/3", i))) return false;
    for (std::size_t i = 0; i < v[2].size(); ++i) {
      const json* e = r_.tuple(v[2], i, 2, at(path + "/2", i));
      std::string name;
      std::uint32_t list = 0;
      if (!e || !r_.string((*e)[0], &name, at(path + "/2", i)) || !r_.index((*e)[1], o->lists.size(), &list, at(path + "/2", i)))
        return false;
      o->names.insert(name, list);
    }
    return r_.indices(v[4], node_count, &o->unconstrained, path + "/4");
  }

  bool read_predicates(const json& p) {
    const json* list = r_.array(p, "predicates", "/program");
    if (!list) return false;
    rs_->predicates.resize(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string path = at("/program/predicates", i);
      const json* t = r_.tuple(*list, i, 5, path);
      Predicate& pred = rs_->predicates[i];
      if (!t || !r_.index((*t)[0], rs_->program.nodes.size(), &pred.root, path + "/0") ||
          !r_.string((*t)[1], &pred.pointer, path + "/1") || !read_reads((*t)[2], &pred.reads, path + "/2"))
        return false;
      if (!(*t)[3].is_null()) {
        pred.event_names.emplace();
        if (!r_.strings((*t)[3], &*pred.event_names, path + "/3")) return false;
      }
      const json& constraints = (*t)[4];
      if (!constraints.is_array()) return r_.fail(path + "/4", "must be an array");
      for (std::size_t k = 0; k < constraints.size(); ++k) {
        const json* c = r_.tuple(constraints, k, 3, at(path + "/4", k));
        std::uint32_t slot = 0;
        StringConstraint sc;
        if (!c || !r_.index((*c)[0], rs_->slot_info.size(), &slot, at(path + "/4", k)) ||
            !r_.boolean((*c)[1], &sc.prefix, at(path + "/4", k)) || !r_.strings((*c)[2], &sc.strings, at(path + "/4", k)))
          return false;
        pred.constraints[slot] = std::move(sc);
      }
    }
    return true;
  }

  bool read_reads(const json& v, Reads* reads, const std::string& path) {
    std::uint32_t flags = 0;
    if (!v.is_array() || v.size() != 6 || !r_.index(v[0], 8, &flags, path)) return r_.fail(path, "malformed reads");
    reads->event = flags & 1;
    reads->everything = flags & 2;
    reads->user = flags & 4;
    return r_.indices(v[1], rs_->traits.size(), &reads->traits, path + "/1") &&
           r_.indices(v[2], rs_->scores.size(), &reads->score_values, path + "/2") &&
           r_.indices(v[3], rs_->scores.size(), &reads->grades, path + "/3") &&
           r_.indices(v[4], rs_->tags.size(), &reads->tags, path + "/4") &&
           r_.indices(v[5], rs_->stages.size(), &reads->stages, path + "/5");
  }

  bool read_traits(const json& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = at("/program/traits", i);
      const json* t = r_.tuple(list, i, 6, path);
      TraitDef& d = rs_->traits[i];
      std::uint32_t kind = 0;
      if (!t || !r_.string((*t)[0], &d.id, path + "/0") || !r_.index((*t)[1], kTraitKindCount, &kind, path + "/1") ||
          !r_.integer((*t)[2], 0, kMaxDurationMs, &d.window_ms, path + "/2") ||
          !r_.optional_index((*t)[3], rs_->predicates.size(), &d.where, path + "/3") ||
          !r_.optional_index((*t)[4], rs_->program.nodes.size(), &d.property, path + "/4") ||
          !r_.hex64((*t)[5], &d.fingerprint, path + "/5"))
        return false;
      d.kind = static_cast<TraitKind>(kind);
    }
    return true;
  }

  bool read_scores(const json& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = at("/program/scores", i);
      const json* t = r_.tuple(list, i, 8, path);
      ScoreDef& d = rs_->scores[i];
      if (!t || !r_.string((*t)[0], &d.id, path + "/0") ||
          !r_.integer((*t)[1], 1, kMaxDurationMs, &d.half_life_ms, path + "/1") || !(*t)[2].is_array() ||
          !(*t)[3].is_array() || !r_.hex64((*t)[4], &d.fingerprint, path + "/4") || !(*t)[5].is_array() ||
          !r_.boolean((*t)[6], &d.opaque_reads, path + "/6") || !r_.boolean((*t)[7], &d.read_by_rules, path + "/7"))
        return r_.fail(path, "malformed score");
      const json& rules = (*t)[2];
      if (rules.size() > kMaxRulesPerSection) return r_.fail(path + "/2", "too many rules");
      d.rules.resize(rules.size());
      for (std::size_t k = 0; k < rules.size(); ++k) {
        const json* e = r_.tuple(rules, k, 2, at(path + "/2", k));
        if (!e || !r_.index((*e)[0], rs_->predicates.size(), &d.rules[k].predicate, at(path + "/2", k)) ||
            !r_.number((*e)[1], &d.rules[k].points, at(path + "/2", k)))
          return false;
      }
      const json& grades = (*t)[3];
      d.grades.resize(grades.size());
      for (std::size_t k = 0; k < grades.size(); ++k) {
        const json* e = r_.tuple(grades, k, 2, at(path + "/3", k));
        if (!e || !r_.string((*e)[0], &d.grades[k].name, at(path + "/3", k)) ||
            !r_.number((*e)[1], &d.grades[k].min, at(path + "/3", k)))
          return false;
        if (k && d.grades[k].min > d.grades[k - 1].min) return r_.fail(at(path + "/3", k), "grades must be highest first");
      }
      const json& thresholds = (*t)[5];
      d.thresholds.resize(thresholds.size());
      for (std::size_t k = 0; k < thresholds.size(); ++k) {
        if (!r_.number(thresholds[k], &d.thresholds[k], at(path + "/5", k))) return false;
        if (k && !(d.thresholds[k] > d.thresholds[k - 1])) return r_.fail(at(path + "/5", k), "thresholds must be sorted and unique");
      }
    }
    return true;
  }

  bool read_tags(const json& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = at("/program/tags", i);
      const json* t = r_.tuple(list, i, 3, path);
      TagDef& d = rs_->tags[i];
      if (!t || !r_.string((*t)[0], &d.id, path + "/0") ||
          !r_.index((*t)[1], rs_->predicates.size(), &d.predicate, path + "/1") || !r_.boolean((*t)[2], &d.sticky, path + "/2"))
        return false;
    }
    return true;
  }

  bool read_stages(const json& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = at("/program/stages", i);
      const json* t = r_.tuple(list, i, 3, path);
      StageDef& d = rs_->stages[i];
      if (!t || !r_.string((*t)[0], &d.id, path + "/0") || !r_.strings((*t)[1], &d.order, path + "/1")) return false;
      if (d.order.empty()) return r_.fail(path + "/1", "must not be empty");
      const json& rules = (*t)[2];
      if (!rules.is_array() || rules.size() > kMaxRulesPerSection) return r_.fail(path + "/2", "must be an array");
      d.rules.resize(rules.size());
      for (std::size_t k = 0; k < rules.size(); ++k) {
        const json* e = r_.tuple(rules, k, 2, at(path + "/2", k));
        if (!e || !r_.index((*e)[0], d.order.size(), &d.rules[k].stage, at(path + "/2", k)) ||
            !r_.index((*e)[1], rs_->predicates.size(), &d.rules[k].predicate, at(path + "/2", k)))
          return false;
      }
    }
    return true;
  }

  // A slot of the given kind and index (the engine writes state into it by kind).
  bool slot_of(const json& v, SlotKind kind, std::uint32_t index, std::uint32_t* out, const std::string& path) {
    if (!r_.index(v, rs_->slot_info.size(), out, path)) return false;
    const SlotInfo& info = rs_->slot_info[*out];
    if (info.kind != kind || (kind != SlotKind::kEvent && info.index != index)) return r_.fail(path, "slot of another kind");
    return true;
  }

  bool read_slot_table(const json& p, const char* key, SlotKind kind, std::size_t count, std::vector<std::uint32_t>* out) {
    const std::string path = std::string("/program/") + key;
    const json* list = r_.array(p, key, "/program");
    if (!list) return false;
    if (list->size() != count) return r_.fail(path, "must have one entry per definition");
    out->assign(count, kNoIndex);
    for (std::size_t i = 0; i < count; ++i) {
      const json& v = (*list)[i];
      if (v.is_number_integer() && v.get<std::int64_t>() == -1) continue;
      if (!slot_of(v, kind, static_cast<std::uint32_t>(i), &(*out)[i], at(path, i))) return false;
    }
    return true;
  }

  bool read_slot_tables(const json& p) {
    const json* name = r_.member(p, "event_name_slot", "/program");
    const json* ts = r_.member(p, "timestamp_slot", "/program");
    return name && ts && slot_of(*name, SlotKind::kEvent, 0, &rs_->event_name_slot, "/program/event_name_slot") &&
           slot_of(*ts, SlotKind::kEvent, 0, &rs_->timestamp_slot, "/program/timestamp_slot") &&
           read_slot_table(p, "trait_slot", SlotKind::kTrait, rs_->traits.size(), &rs_->trait_slot) &&
           read_slot_table(p, "score_value_slot", SlotKind::kScoreValue, rs_->scores.size(), &rs_->score_value_slot) &&
           read_slot_table(p, "grade_slot", SlotKind::kGrade, rs_->scores.size(), &rs_->grade_slot) &&
           read_slot_table(p, "tag_slot", SlotKind::kTag, rs_->tags.size(), &rs_->tag_slot) &&
           read_slot_table(p, "stage_slot", SlotKind::kStage, rs_->stages.size(), &rs_->stage_slot);
  }

  bool read_event_paths(const json& p) {
    const json* list = r_.array(p, "event_paths", "/program");
    if (!list) return false;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string path = at("/program/event_paths", i);
      const json* t = r_.tuple(*list, i, 2, path);
      std::vector<std::string> segments;
      std::uint32_t slot = 0;
      if (!t || !r_.strings((*t)[0], &segments, path + "/0") || !slot_of((*t)[1], SlotKind::kEvent, 0, &slot, path + "/1"))
        return false;
      rs_->event_paths.add(segments, slot);
      rs_->event_path_list.emplace_back(std::move(segments), slot);
    }
    return true;
  }

  bool read_lookup_paths(const json& p) {
    const json* list = r_.array(p, "lookup_paths", "/program");
    if (!list) return false;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string path = at("/program/lookup_paths", i);
      const json* t = r_.tuple(*list, i, 3, path);
      std::string text;
      std::uint32_t slot = 0, consumed = 0;
      if (!t || !r_.string((*t)[0], &text, path + "/0") || !r_.index((*t)[1], rs_->slot_info.size(), &slot, path + "/1") ||
          !r_.index((*t)[2], kNoIndex, &consumed, path + "/2"))
        return false;
      rs_->lookup_paths[text] = {slot, consumed};
    }
    return true;
  }

  CompiledRuleSet* rs_;
  Reader r_;
};

// The envelope: {"format":"touchpoint-program/1","checksum":"<16 hex>","bytes":N, <covered>}.
bool read_envelope(std::string_view text, std::string_view* covered, std::vector<RuleError>* errors) {
  auto fail = [&](std::string message) {
    errors->push_back({"", std::move(message)});
    return false;
  };
  if (text.size() > kMaxProgramBytes) return fail("program larger than " + std::to_string(kMaxProgramBytes / (1024 * 1024)) + " MB");
  if (!looks_like_program(text))
    return fail("not a compiled rule program (expected {\"format\":\"touchpoint-program/1\",...}: compile touchpoint-rules/1 with `touchpoint-rules compile` or serve it from the collector)");
  std::size_t pos = std::string_view(kProgramFormatPrefix).size();
  std::size_t end = text.find('"', pos);
  if (end == std::string_view::npos) return fail("malformed program header");
  const std::string_view version = text.substr(pos, end - pos);
  if (version != std::to_string(kProgramFormatVersion))
    return fail("unsupported program format touchpoint-program/" + std::string(version.substr(0, 16)) +
                " (this SDK reads touchpoint-program/" + std::to_string(kProgramFormatVersion) + ")");
  pos = end;
  const std::string_view checksum_key = "\",\"checksum\":\"";
  if (text.substr(pos, checksum_key.size()) != checksum_key) return fail("malformed program header");
  pos += checksum_key.size();
  std::uint64_t checksum = 0;
  for (std::size_t i = 0; i < 16; ++i, ++pos) {
    const char c = pos < text.size() ? text[pos] : '\0';
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return fail("malformed program header (checksum)");
    checksum = checksum << 4 | static_cast<std::uint64_t>(d);
  }
  const std::string_view bytes_key = "\",\"bytes\":";
  if (text.substr(pos, bytes_key.size()) != bytes_key) return fail("malformed program header");
  pos += bytes_key.size();
  std::uint64_t bytes = 0;
  std::size_t digits = 0;
  for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 12; ++pos, ++digits)
    bytes = bytes * 10 + static_cast<std::uint64_t>(text[pos] - '0');
  if (!digits || pos >= text.size() || text[pos] != ',') return fail("malformed program header (bytes)");
  ++pos;
  const std::size_t available = text.size() - pos;
  if (available != bytes + 1 || text.back() != '}')
    return fail("truncated or padded program: " + std::to_string(available > 0 ? available - 1 : 0) +
                " bytes after the header, which says " + std::to_string(bytes));
  *covered = text.substr(pos, bytes);
  if (program_checksum(*covered) != checksum) return fail("program checksum mismatch (corrupt in transit or storage)");
  return true;
}

}  // namespace

std::unique_ptr<CompiledRuleSet> decode_program(std::string_view text, std::vector<RuleError>* errors) {
  errors->clear();
  std::string_view covered;
  if (!read_envelope(text, &covered, errors)) return nullptr;
  std::string object;
  object.reserve(covered.size() + 2);
  object += '{';
  object += covered;
  object += '}';
  const json doc = json::parse(object, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    errors->push_back({"", "program body is not a JSON object"});
    return nullptr;
  }
  // A set rejected where it was compiled: its errors are the reasons this device rejects it.
  if (auto rejected = doc.find("errors"); rejected != doc.end() && doc.find("program") == doc.end()) {
    if (rejected->is_array())
      for (const auto& e : *rejected) {
        if (errors->size() >= kMaxReportedErrors) break;
        auto path = e.is_object() ? e.find("path") : e.end();
        auto message = e.is_object() ? e.find("message") : e.end();
        if (!e.is_object() || path == e.end() || !path->is_string() || message == e.end() || !message->is_string()) continue;
        errors->push_back({*path->get_ptr<const std::string*>(), "rejected where it was compiled: " + *message->get_ptr<const std::string*>()});
      }
    if (errors->empty()) errors->push_back({"", "the rule set was rejected where it was compiled"});
    return nullptr;
  }
  auto rs = std::make_unique<CompiledRuleSet>();
  ProgramDecoder decoder(rs.get(), errors);
  if (!decoder.run(doc)) {
    if (errors->empty()) errors->push_back({"", "malformed program"});
    return nullptr;
  }
  index_rule_set(rs.get());
  return rs;
}

}  // namespace touchpoint::rules
