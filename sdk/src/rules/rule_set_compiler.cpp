// Validation and compilation of `touchpoint-rules/1` (format in docs/rules.md).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "compiled_rule_set.hpp"
#include "duration.hpp"
#include "string_constraints.hpp"
#include "logic_compiler.hpp"
#include "rule_program.hpp"

namespace touchpoint::rules {

namespace {

using nlohmann::json;

std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a number";
  }
}

// Finds where JSON text stops parsing, for a useful error message.
class ParseErrorLocator : public nlohmann::json_sax<json> {
 public:
  std::string message = "not valid JSON";
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    message = ex.what();
    return false;
  }
};

class RuleSetCompiler : public PathResolver {
 public:
  RuleSetCompiler(CompiledRuleSet* rs, std::vector<RuleError>* errors) : rs_(rs), errors_(errors) {}

  bool run(const json& doc);

  // PathResolver
  PathResolution resolve(const std::vector<std::string>& segments) override;
  void note_dynamic_lookup() override {
    if (reads_) reads_->everything = true;
  }
  std::optional<std::uint32_t> event_name_slot() const override { return rs_->event_name_slot; }
  void note_compared_with(std::uint32_t slot, const std::vector<double>& literals) override {
    const SlotInfo& info = rs_->slot_info[slot];
    if (info.kind != SlotKind::kScoreValue) return;
    ++score_compared_[info.index];
    auto& thresholds = rs_->scores[info.index].thresholds;
    thresholds.insert(thresholds.end(), literals.begin(), literals.end());
  }

 private:
  void error(const std::string& path, std::string message) {
    if (errors_->size() < kMaxReportedErrors) errors_->push_back({path, std::move(message)});
  }
  bool check_fields(const json& item, const std::string& path, std::initializer_list<const char*> allowed);
  bool collect_ids(const json& doc, const char* section, std::map<std::string, std::uint32_t>* ids);
  const json* section(const json& doc, const char* name);
  std::uint32_t new_slot(SlotKind kind, std::uint32_t index) {
    rs_->slot_info.push_back({kind, index});
    return static_cast<std::uint32_t>(rs_->slot_info.size() - 1);
  }
  std::uint32_t event_slot(const std::vector<std::string>& below_event);
  std::uint32_t user_slot(const std::vector<std::string>& below_user);
  std::uint32_t ensure(std::vector<std::uint32_t>* slots, std::uint32_t index, SlotKind kind) {
    if ((*slots)[index] == kNoIndex) (*slots)[index] = new_slot(kind, index);
    return (*slots)[index];
  }
  std::uint32_t compile_predicate(const json& rule, const std::string& path);
  void compile_traits(const json& list);
  void compile_scores(const json& list);
  void compile_tags(const json& list);
  void compile_stages(const json& list);

  CompiledRuleSet* rs_;
  std::vector<RuleError>* errors_;
  LogicCompiler* logic_ = nullptr;
  Reads* reads_ = nullptr;
  std::map<std::string, std::uint32_t> trait_ids_, score_ids_, tag_ids_, stage_ids_;
  std::map<std::string, std::uint32_t> event_slots_, user_slots_;
  std::vector<std::uint32_t> score_reads_, score_compared_;
};

std::uint32_t RuleSetCompiler::event_slot(const std::vector<std::string>& below_event) {
  std::string key;
  for (const auto& s : below_event) key += s + '.';
  auto it = event_slots_.find(key);
  if (it != event_slots_.end()) return it->second;
  std::uint32_t slot = new_slot(SlotKind::kEvent, 0);
  rs_->event_paths.add(below_event, slot);
  rs_->event_path_list.emplace_back(below_event, slot);
  event_slots_[key] = slot;
  return slot;
}

std::uint32_t RuleSetCompiler::user_slot(const std::vector<std::string>& below_user) {
  std::string key;
  for (const auto& s : below_user) key += s + '.';
  auto it = user_slots_.find(key);
  if (it != user_slots_.end()) return it->second;
  rs_->user_paths.push_back(below_user);
  std::uint32_t slot = new_slot(SlotKind::kUser, static_cast<std::uint32_t>(rs_->user_paths.size() - 1));
  user_slots_[key] = slot;
  return slot;
}

PathResolution RuleSetCompiler::resolve(const std::vector<std::string>& segments) {
  PathResolution r;
  if (segments.empty()) {
    note_dynamic_lookup();
    r.kind = PathResolution::Kind::kContext;
    return r;
  }
  const std::string& root = segments[0];
  std::vector<std::string> rest(segments.begin() + 1, segments.end());
  std::string text;
  for (std::size_t i = 0; i < segments.size(); ++i) text += (i ? "." : "") + segments[i];
  r.kind = PathResolution::Kind::kSlot;
  if (root == "event") {
    if (reads_) reads_->event = true;
    r.slot = event_slot(rest);
    r.consumed = segments.size();
  } else if (root == "user") {
    if (reads_) reads_->user = true;
    r.slot = user_slot(rest);
    r.consumed = segments.size();
  } else if (root == "traits" || root == "scores" || root == "grades" || root == "tags" || root == "stage") {
    if (segments.size() == 1) {
      note_dynamic_lookup();  // the whole object: built on demand
      r.kind = PathResolution::Kind::kContext;
      return r;
    }
    const std::string& id = segments[1];
    const auto& ids = root == "traits" ? trait_ids_
                      : root == "tags" ? tag_ids_
                      : root == "stage" ? stage_ids_
                                        : score_ids_;
    auto it = ids.find(id);
    if (it == ids.end()) {
      const char* what = root == "traits" ? "trait" : root == "tags" ? "tag" : root == "stage" ? "stage" : "score";
      r.kind = PathResolution::Kind::kError;
      r.error = std::string("unknown ") + what + " \"" + id + "\" in \"" + text + "\"";
      return r;
    }
    std::uint32_t index = it->second;
    r.consumed = 2;
    if (root == "traits") {
      r.slot = ensure(&rs_->trait_slot, index, SlotKind::kTrait);
      if (reads_) reads_->traits.push_back(index);
    } else if (root == "scores") {
      r.slot = ensure(&rs_->score_value_slot, index, SlotKind::kScoreValue);
      ++score_reads_[index];
      rs_->scores[index].read_by_rules = true;
      if (reads_) reads_->score_values.push_back(index);
    } else if (root == "grades") {
      r.slot = ensure(&rs_->grade_slot, index, SlotKind::kGrade);
      if (reads_) reads_->grades.push_back(index);
    } else if (root == "tags") {
      r.slot = ensure(&rs_->tag_slot, index, SlotKind::kTag);
      if (reads_) reads_->tags.push_back(index);
    } else {
      r.slot = ensure(&rs_->stage_slot, index, SlotKind::kStage);
      if (reads_) reads_->stages.push_back(index);
    }
  } else {
    r.kind = PathResolution::Kind::kError;
    r.error = "unknown variable \"" + text +
              "\": paths start with event, traits, scores, grades, tags, stage or user";
    return r;
  }
  rs_->lookup_paths[text] = {r.slot, r.consumed};
  return r;
}

bool RuleSetCompiler::check_fields(const json& item, const std::string& path,
                                   std::initializer_list<const char*> allowed) {
  if (!item.is_object()) {
    error(path, std::string("must be an object, got ") + type_name(item));
    return false;
  }
  bool ok = true;
  for (auto it = item.begin(); it != item.end(); ++it) {
    bool known = false;
    for (const char* name : allowed) known = known || it.key() == name;
    if (!known) {
      std::string list;
      for (const char* name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      error(path + "/" + json_pointer_token(it.key()), "unknown field \"" + it.key() + "\" (expected " + list + ")");
      ok = false;
    }
  }
  if (auto d = item.find("description"); d != item.end() && !d->is_string())
    error(path + "/description", "\"description\" must be a string");
  return ok;
}

const json* RuleSetCompiler::section(const json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end()) return nullptr;
  if (!it->is_array()) {
    error(std::string("/") + name, std::string("\"") + name + "\" must be an array, got " + type_name(*it));
    return nullptr;
  }
  if (it->size() > kMaxRulesPerSection) {
    error(std::string("/") + name, "more than " + std::to_string(kMaxRulesPerSection) + " entries");
    return nullptr;
  }
  return &*it;
}

bool RuleSetCompiler::collect_ids(const json& doc, const char* name, std::map<std::string, std::uint32_t>* ids) {
  const json* list = section(doc, name);
  if (!list) return false;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    std::string path = std::string("/") + name + "/" + std::to_string(i);
    if (!item.is_object()) continue;  // reported by check_fields later
    auto id = item.find("id");
    if (id == item.end()) {
      error(path, "missing \"id\"");
      continue;
    }
    if (!id->is_string() || id->get_ptr<const std::string*>()->empty()) {
      error(path + "/id", "\"id\" must be a non-empty string");
      continue;
    }
    const std::string& s = *id->get_ptr<const std::string*>();
    if (s.size() > kMaxIdLength) {
      error(path + "/id", "\"id\" longer than " + std::to_string(kMaxIdLength) + " characters");
      continue;
    }
    if (s.find('.') != std::string::npos) {
      error(path + "/id", "\"id\" must not contain \".\" (var paths use it as the separator)");
      continue;
    }
    if (!ids->emplace(s, static_cast<std::uint32_t>(i)).second) {
      error(path + "/id", std::string("duplicate ") + name + " id \"" + s + "\"");
    }
  }
  return true;
}

std::uint32_t RuleSetCompiler::compile_predicate(const json& rule, const std::string& path) {
  Predicate p;
  p.pointer = path;
  rs_->predicates.push_back(std::move(p));
  auto index = static_cast<std::uint32_t>(rs_->predicates.size() - 1);
  Reads reads;
  reads_ = &reads;
  std::uint32_t root = logic_->compile_predicate(rule, path);
  reads_ = nullptr;
  Predicate& stored = rs_->predicates[index];
  stored.root = root;
  stored.reads = std::move(reads);
  stored.constraints = required_strings(rs_->program, root);
  if (auto it = stored.constraints.find(rs_->event_name_slot); it != stored.constraints.end() && !it->second.prefix)
    stored.event_names = it->second.strings;
  return index;
}

void RuleSetCompiler::compile_traits(const json& list) {
  rs_->traits.resize(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string path = "/traits/" + std::to_string(i);
    if (!check_fields(item, path, {"id", "kind", "property", "where", "window", "description"})) continue;
    TraitDef& def = rs_->traits[i];
    if (auto id = item.find("id"); id != item.end() && id->is_string()) def.id = *id->get_ptr<const std::string*>();
    json canonical = json::object();
    auto kind = item.find("kind");
    if (kind == item.end()) {
      error(path, "missing \"kind\"");
      continue;
    }
    std::optional<TraitKind> k = kind->is_string() ? trait_kind_from_name(*kind->get_ptr<const std::string*>()) : std::nullopt;
    if (!k) {
      error(path + "/kind", "unknown trait kind " + kind->dump() +
                                " (expected count, sum, avg, min, max, most_frequent, first, last, unique_count, unique_list)");
      continue;
    }
    def.kind = *k;
    canonical["kind"] = trait_kind_name(def.kind);
    auto property = item.find("property");
    if (def.kind == TraitKind::kCount) {
      if (property != item.end()) error(path + "/property", "a count trait takes no \"property\"");
    } else if (property == item.end()) {
      error(path, std::string("missing \"property\" (required for ") + trait_kind_name(def.kind) + ")");
    } else if (!property->is_string() || property->get_ptr<const std::string*>()->empty()) {
      error(path + "/property", "\"property\" must be a var path like \"event.properties.price\"");
    } else {
      Reads ignored;
      reads_ = &ignored;
      def.property = logic_->compile(json{{"var", *property}}, path + "/property");
      reads_ = nullptr;
      canonical["property"] = *property;
    }
    if (auto where = item.find("where"); where != item.end()) {
      def.where = compile_predicate(*where, path + "/where");
      canonical["where"] = *where;
    }
    if (auto window = item.find("window"); window != item.end()) {
      std::string message;
      auto ms = parse_duration(*window, &message);
      if (!ms) error(path + "/window", message);
      else def.window_ms = *ms;
      canonical["window"] = def.window_ms;
    }
    def.fingerprint = fnv1a64(canonical.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

void RuleSetCompiler::compile_scores(const json& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string path = "/scores/" + std::to_string(i);
    if (!check_fields(item, path, {"id", "half_life", "rules", "grades", "description"})) continue;
    ScoreDef& def = rs_->scores[i];
    json canonical = json::object();
    auto half_life = item.find("half_life");
    if (half_life == item.end()) {
      error(path, "missing \"half_life\"");
    } else {
      std::string message;
      auto ms = parse_duration(*half_life, &message);
      if (!ms) error(path + "/half_life", message);
      else def.half_life_ms = *ms;
    }
    canonical["half_life"] = def.half_life_ms;
    auto rules = item.find("rules");
    if (rules == item.end()) {
      error(path, "missing \"rules\"");
    } else if (!rules->is_array()) {
      error(path + "/rules", std::string("\"rules\" must be an array, got ") + type_name(*rules));
    } else if (rules->size() > kMaxRulesPerSection) {
      error(path + "/rules", "more than " + std::to_string(kMaxRulesPerSection) + " rules");
    } else {
      canonical["rules"] = *rules;
      for (std::size_t r = 0; r < rules->size(); ++r) {
        const json& rule = (*rules)[r];
        std::string rpath = path + "/rules/" + std::to_string(r);
        if (!check_fields(rule, rpath, {"when", "points", "description"})) continue;
        auto when = rule.find("when");
        auto points = rule.find("points");
        if (when == rule.end()) error(rpath, "missing \"when\"");
        if (points == rule.end()) error(rpath, "missing \"points\"");
        else if (!points->is_number() || !std::isfinite(points->get<double>()))
          error(rpath + "/points", "\"points\" must be a number");
        if (when == rule.end() || points == rule.end() || !points->is_number()) continue;
        ScoreRuleDef def_rule;
        def_rule.predicate = compile_predicate(*when, rpath + "/when");
        def_rule.points = points->get<double>();
        def.rules.push_back(def_rule);
      }
    }
    if (auto grades = item.find("grades"); grades != item.end()) {
      if (!grades->is_array()) {
        error(path + "/grades", std::string("\"grades\" must be an array, got ") + type_name(*grades));
      } else {
        std::set<std::string> names;
        for (std::size_t g = 0; g < grades->size(); ++g) {
          const json& grade = (*grades)[g];
          std::string gpath = path + "/grades/" + std::to_string(g);
          if (!check_fields(grade, gpath, {"grade", "min", "description"})) continue;
          auto name = grade.find("grade");
          auto min = grade.find("min");
          if (name == grade.end() || !name->is_string() || name->get_ptr<const std::string*>()->empty()) {
            error(gpath + "/grade", "\"grade\" must be a non-empty string");
            continue;
          }
          if (min == grade.end() || !min->is_number() || !std::isfinite(min->get<double>())) {
            error(gpath + "/min", "\"min\" must be a number");
            continue;
          }
          const std::string& grade_name = *name->get_ptr<const std::string*>();
          if (!names.insert(grade_name).second) error(gpath + "/grade", "duplicate grade \"" + grade_name + "\"");
          double m = min->get<double>();
          if (!def.grades.empty() && m > def.grades.back().min)
            error(gpath + "/min", "grades must be listed highest \"min\" first");
          def.grades.push_back({grade_name, m});
          def.thresholds.push_back(m);
        }
      }
    }
    def.fingerprint = fnv1a64(canonical.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

void RuleSetCompiler::compile_tags(const json& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string path = "/tags/" + std::to_string(i);
    if (!check_fields(item, path, {"id", "when", "sticky", "description"})) continue;
    TagDef& def = rs_->tags[i];
    if (auto sticky = item.find("sticky"); sticky != item.end()) {
      if (!sticky->is_boolean()) error(path + "/sticky", "\"sticky\" must be a boolean");
      else def.sticky = sticky->get<bool>();
    }
    auto when = item.find("when");
    if (when == item.end()) {
      error(path, "missing \"when\"");
      continue;
    }
    def.predicate = compile_predicate(*when, path + "/when");
  }
}

void RuleSetCompiler::compile_stages(const json& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    std::string path = "/stages/" + std::to_string(i);
    if (!check_fields(item, path, {"id", "order", "rules", "description"})) continue;
    StageDef& def = rs_->stages[i];
    auto order = item.find("order");
    std::map<std::string, std::uint32_t> positions;
    if (order == item.end()) {
      error(path, "missing \"order\"");
    } else if (!order->is_array() || order->empty()) {
      error(path + "/order", "\"order\" must be a non-empty array of stage names");
    } else {
      for (std::size_t k = 0; k < order->size(); ++k) {
        const json& name = (*order)[k];
        if (!name.is_string() || name.get_ptr<const std::string*>()->empty()) {
          error(path + "/order/" + std::to_string(k), "stage names must be non-empty strings");
          continue;
        }
        if (!positions.emplace(*name.get_ptr<const std::string*>(), static_cast<std::uint32_t>(def.order.size())).second) {
          error(path + "/order/" + std::to_string(k), "duplicate stage \"" + *name.get_ptr<const std::string*>() + "\"");
          continue;
        }
        def.order.push_back(*name.get_ptr<const std::string*>());
      }
    }
    auto rules = item.find("rules");
    if (rules == item.end()) {
      error(path, "missing \"rules\"");
      continue;
    }
    if (!rules->is_array() || rules->size() > kMaxRulesPerSection) {
      error(path + "/rules", "\"rules\" must be an array");
      continue;
    }
    for (std::size_t r = 0; r < rules->size(); ++r) {
      const json& rule = (*rules)[r];
      std::string rpath = path + "/rules/" + std::to_string(r);
      if (!check_fields(rule, rpath, {"stage", "when", "description"})) continue;
      auto stage = rule.find("stage");
      auto when = rule.find("when");
      if (stage == rule.end() || !stage->is_string()) {
        error(rpath + "/stage", "\"stage\" must name a stage of \"order\"");
        continue;
      }
      auto pos = positions.find(*stage->get_ptr<const std::string*>());
      if (pos == positions.end()) {
        error(rpath + "/stage", "unknown stage \"" + *stage->get_ptr<const std::string*>() + "\" (not in \"order\")");
        continue;
      }
      if (when == rule.end()) {
        error(rpath, "missing \"when\"");
        continue;
      }
      StageRuleDef def_rule;
      def_rule.stage = pos->second;
      def_rule.predicate = compile_predicate(*when, rpath + "/when");
      def.rules.push_back(def_rule);
    }
  }
}

bool RuleSetCompiler::run(const json& doc) {
  if (!doc.is_object()) {
    error("", std::string("a rule set must be a JSON object, got ") + type_name(doc));
    return false;
  }
  check_fields(doc, "", {"format", "version", "description", "traits", "scores", "tags", "stages"});
  auto format = doc.find("format");
  if (format == doc.end()) error("", std::string("missing \"format\" (\"") + kRulesFormat + "\")");
  else if (!format->is_string() || *format->get_ptr<const std::string*>() != kRulesFormat)
    error("/format", std::string("unsupported format ") + format->dump() + " (expected \"" + kRulesFormat + "\")");
  if (auto version = doc.find("version"); version != doc.end()) {
    if (!version->is_string()) error("/version", "\"version\" must be a string");
    else rs_->version = *version->get_ptr<const std::string*>();
  }

  collect_ids(doc, "traits", &trait_ids_);
  collect_ids(doc, "scores", &score_ids_);
  collect_ids(doc, "tags", &tag_ids_);
  collect_ids(doc, "stages", &stage_ids_);
  const json empty = json::array();
  const json* traits = section(doc, "traits");
  const json* scores = section(doc, "scores");
  const json* tags = section(doc, "tags");
  const json* stages = section(doc, "stages");
  if (!traits) traits = &empty;
  if (!scores) scores = &empty;
  if (!tags) tags = &empty;
  if (!stages) stages = &empty;

  rs_->traits.resize(traits->size());
  rs_->scores.resize(scores->size());
  rs_->tags.resize(tags->size());
  rs_->stages.resize(stages->size());
  for (const auto& [id, i] : trait_ids_) rs_->traits[i].id = id;
  for (const auto& [id, i] : score_ids_) rs_->scores[i].id = id;
  for (const auto& [id, i] : tag_ids_) rs_->tags[i].id = id;
  for (const auto& [id, i] : stage_ids_) rs_->stages[i].id = id;
  rs_->trait_slot.assign(traits->size(), kNoIndex);
  rs_->score_value_slot.assign(scores->size(), kNoIndex);
  rs_->grade_slot.assign(scores->size(), kNoIndex);
  rs_->tag_slot.assign(tags->size(), kNoIndex);
  rs_->stage_slot.assign(stages->size(), kNoIndex);
  score_reads_.assign(scores->size(), 0);
  score_compared_.assign(scores->size(), 0);
  rs_->event_name_slot = event_slot({"event"});
  rs_->timestamp_slot = event_slot({"timestamp"});

  std::vector<CompileError> logic_errors;
  LogicCompiler logic(&rs_->program, this, &logic_errors);
  logic_ = &logic;
  compile_traits(*traits);
  compile_scores(*scores);
  compile_tags(*tags);
  compile_stages(*stages);
  logic_ = nullptr;
  for (auto& e : logic_errors) {
    // A property is compiled as {"var": property}: point its errors at the field itself.
    auto pos = e.path.find("/property/var");
    if (pos != std::string::npos) e.path.resize(pos + 9);
    error(e.path, e.message);
  }
  if (!errors_->empty()) return false;

  for (std::size_t s = 0; s < rs_->scores.size(); ++s) {
    auto& def = rs_->scores[s];
    def.opaque_reads = score_reads_[s] > score_compared_[s];
    std::sort(def.thresholds.begin(), def.thresholds.end());
    def.thresholds.erase(std::unique(def.thresholds.begin(), def.thresholds.end()), def.thresholds.end());
  }
  index_rule_set(rs_);
  return true;
}

}  // namespace

std::unique_ptr<CompiledRuleSet> compile_rule_set(std::string_view json_text, std::vector<RuleError>* errors) {
  errors->clear();
  if (json_text.size() > kMaxRuleSetBytes) {
    errors->push_back({"", "rule set larger than " + std::to_string(kMaxRuleSetBytes / (1024 * 1024)) + " MB"});
    return nullptr;
  }
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) {
    ParseErrorLocator locator;
    json::sax_parse(json_text, &locator);
    errors->push_back({"", locator.message});
    return nullptr;
  }
  auto rs = std::make_unique<CompiledRuleSet>();
  RuleSetCompiler compiler(rs.get(), errors);
  if (!compiler.run(doc)) return nullptr;
  return rs;
}

}  // namespace touchpoint::rules
