#include "logic_compiler.hpp"

#include <algorithm>
#include <cstring>

#include "string_constraints.hpp"
#include "js_coercion.hpp"

namespace touchpoint::rules {

namespace {

struct OperatorSpec {
  const char* name;
  Op op;
};

// Every standard JsonLogic operator plus the starts_with / ends_with extensions.
constexpr OperatorSpec kOperators[] = {
    {"var", Op::kVarScope},   {"missing", Op::kMissing}, {"missing_some", Op::kMissingSome},
    {"if", Op::kIf},          {"?:", Op::kIf},           {"==", Op::kEq},
    {"===", Op::kStrictEq},   {"!=", Op::kNe},           {"!==", Op::kStrictNe},
    {"!", Op::kNot},          {"!!", Op::kNotNot},       {"or", Op::kOr},
    {"and", Op::kAnd},        {">", Op::kGt},            {">=", Op::kGe},
    {"<", Op::kLt},           {"<=", Op::kLe},           {"max", Op::kMax},
    {"min", Op::kMin},        {"+", Op::kAdd},           {"-", Op::kSub},
    {"*", Op::kMul},          {"/", Op::kDiv},           {"%", Op::kMod},
    {"map", Op::kMap},        {"filter", Op::kFilter},   {"reduce", Op::kReduce},
    {"all", Op::kAll},        {"none", Op::kNone},       {"some", Op::kSome},
    {"merge", Op::kMerge},    {"in", Op::kIn},           {"cat", Op::kCat},
    {"substr", Op::kSubstr},  {"log", Op::kLog},         {"starts_with", Op::kStartsWith},
    {"ends_with", Op::kEndsWith},
};

const OperatorSpec* find_operator(const std::string& name) {
  for (const auto& spec : kOperators)
    if (name == spec.name) return &spec;
  return nullptr;
}

// An `or` with fewer children is cheaper to walk than to dispatch.
constexpr std::uint32_t kMinIndexedOrChildren = 4;

bool is_comparison(Op op) {
  switch (op) {
    case Op::kEq:
    case Op::kStrictEq:
    case Op::kNe:
    case Op::kStrictNe:
    case Op::kGt:
    case Op::kGe:
    case Op::kLt:
    case Op::kLe:
      return true;
    default:
      return false;
  }
}

// The literal path text of a var argument, as json-logic-js would stringify it.
bool literal_path_text(const nlohmann::json& p, std::string* out) {
  if (p.is_null()) {
    out->clear();
    return true;
  }
  if (p.is_string()) {
    *out = *p.get_ptr<const std::string*>();
    return true;
  }
  if (p.is_number() || p.is_boolean()) {
    out->clear();
    append_js_string(Value::of_json(p), out);
    return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> split_var_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = path.find('.', start);
    if (dot == std::string::npos) {
      segments.push_back(path.substr(start));
      break;
    }
    segments.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  return segments;
}

std::string json_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

LogicCompiler::LogicCompiler(Program* program, PathResolver* resolver, std::vector<CompileError>* errors)
    : program_(program), resolver_(resolver), errors_(errors) {}

std::uint32_t LogicCompiler::compile(const nlohmann::json& rule, const std::string& pointer) {
  return compile_node(rule, pointer, 0, false, false);
}

std::uint32_t LogicCompiler::compile_predicate(const nlohmann::json& rule, const std::string& pointer) {
  return compile_node(rule, pointer, 0, true, false);
}

void LogicCompiler::error(const std::string& pointer, std::string message) {
  errors_->push_back({pointer, std::move(message)});
}

std::uint32_t LogicCompiler::add_node(Node node, const std::vector<std::uint32_t>& children) {
  node.first_child = static_cast<std::uint32_t>(program_->children.size());
  node.child_count = static_cast<std::uint32_t>(children.size());
  program_->children.insert(program_->children.end(), children.begin(), children.end());
  program_->nodes.push_back(node);
  return static_cast<std::uint32_t>(program_->nodes.size() - 1);
}

std::uint32_t LogicCompiler::add_path(const std::string& text) {
  VarPath p;
  p.text = text;
  if (!text.empty()) p.segments = split_var_path(text);
  program_->paths.push_back(std::move(p));
  return static_cast<std::uint32_t>(program_->paths.size() - 1);
}

bool LogicCompiler::is_constant(const nlohmann::json& value) const {
  if (value.is_array()) {
    for (const auto& e : value)
      if (!is_constant(e)) return false;
    return true;
  }
  if (value.is_object()) return value.size() != 1;  // one key = an operation
  return true;
}

Value LogicCompiler::literal_value(const nlohmann::json& value) { return keep_literal(program_, value); }

std::uint32_t LogicCompiler::make_literal(const nlohmann::json& value) {
  Node n;
  n.op = Op::kLiteral;
  n.literal = literal_value(value);
  return add_node(n, {});
}

std::uint32_t LogicCompiler::compile_node(const nlohmann::json& rule, const std::string& pointer, std::size_t depth,
                                          bool boolean_context, bool scoped) {
  if (depth > kMaxLogicDepth) {
    error(pointer, "nested deeper than " + std::to_string(kMaxLogicDepth) + " levels");
    return make_literal(nullptr);
  }
  if (rule.is_array()) {
    if (is_constant(rule)) return make_literal(rule);
    std::vector<std::uint32_t> kids;
    for (std::size_t i = 0; i < rule.size(); ++i)
      kids.push_back(compile_node(rule[i], pointer + "/" + std::to_string(i), depth + 1, false, scoped));
    Node n;
    n.op = Op::kArray;
    return add_node(n, kids);
  }
  if (rule.is_object() && rule.size() == 1) {
    auto entry = rule.begin();
    return compile_operator(entry.key(), entry.value(), pointer, depth, boolean_context, scoped);
  }
  return make_literal(rule);
}

std::uint32_t LogicCompiler::compile_operator(const std::string& name, const nlohmann::json& args,
                                              const std::string& pointer, std::size_t depth, bool boolean_context,
                                              bool scoped) {
  const OperatorSpec* spec = find_operator(name);
  std::string here = pointer + "/" + json_pointer_token(name);
  if (!spec) {
    error(here, "unknown operator \"" + name + "\"");
    return make_literal(nullptr);
  }
  Op op = spec->op;
  if (op == Op::kVarScope) return compile_var(args, here, depth, scoped);
  if (op == Op::kMissing || op == Op::kMissingSome) return compile_missing(op, args, here, depth, scoped);

  // json-logic-js treats a non-array argument as a one-element list.
  const bool listed = args.is_array();
  const std::size_t count = listed ? args.size() : 1;
  auto arg = [&](std::size_t i) -> const nlohmann::json& { return listed ? args[i] : args; };
  auto arg_pointer = [&](std::size_t i) { return listed ? here + "/" + std::to_string(i) : here; };

  bool scoped_body = op == Op::kMap || op == Op::kFilter || op == Op::kReduce || op == Op::kAll ||
                     op == Op::kNone || op == Op::kSome;
  if (scoped_body) {
    std::size_t min_args = 2, max_args = op == Op::kReduce ? 3 : 2;
    if (count < min_args || count > max_args) {
      error(here, "\"" + name + "\" takes " +
                      (min_args == max_args ? "2 arguments" : std::string("2 or 3 arguments")) + ", got " +
                      std::to_string(count));
      return make_literal(nullptr);
    }
  }

  std::vector<std::uint32_t> kids;
  kids.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    bool child_boolean = false;
    if (boolean_context && (op == Op::kAnd || op == Op::kOr)) child_boolean = true;
    if (op == Op::kNot || op == Op::kNotNot) child_boolean = true;
    if (op == Op::kIf) child_boolean = (i % 2 == 0 && i + 1 < count) || boolean_context;
    bool child_scoped = scoped || (scoped_body && i == 1);
    kids.push_back(compile_node(arg(i), arg_pointer(i), depth + 1, child_boolean, child_scoped));
  }
  Node n;
  n.op = op;
  std::uint32_t id = add_node(n, kids);
  if (is_comparison(op)) note_comparisons(id);
  if (op == Op::kOr && boolean_context) maybe_index_or(id);
  fuse_slot_leaf(id);
  return id;
}

std::uint32_t LogicCompiler::compile_var(const nlohmann::json& args, const std::string& here, std::size_t depth,
                                         bool scoped) {
  const bool listed = args.is_array();
  if (listed && args.size() > 2) {
    error(here, "\"var\" takes a path and an optional default, got " + std::to_string(args.size()) + " arguments");
    return make_literal(nullptr);
  }
  nlohmann::json path_arg = listed ? (args.empty() ? nlohmann::json() : args[0]) : args;
  const std::string path_pointer = listed ? here + "/0" : here;

  std::vector<std::uint32_t> kids;
  Node n;
  std::string text;
  if (literal_path_text(path_arg, &text)) {
    if (scoped || !resolver_) {
      n.op = Op::kVarScope;
      n.path = add_path(text);
    } else if (text.empty()) {
      resolver_->resolve({});
      n.op = Op::kVarContext;
      n.in_context = true;
      n.path = add_path(text);
    } else {
      PathResolution r = resolver_->resolve(split_var_path(text));
      if (r.kind == PathResolution::Kind::kError) {
        error(path_pointer, r.error);
        return make_literal(nullptr);
      }
      if (r.kind == PathResolution::Kind::kSlot) {
        n.op = Op::kVarSlot;
        n.slot = r.slot;
        auto segments = split_var_path(text);
        if (r.consumed < segments.size()) {
          std::string rest;
          for (std::size_t i = r.consumed; i < segments.size(); ++i) {
            if (i > r.consumed) rest += '.';
            rest += segments[i];
          }
          n.path = add_path(rest);
        }
      } else {
        n.op = Op::kVarContext;
        n.in_context = true;
        n.path = add_path(text);
      }
    }
  } else {
    n.op = Op::kVarDynamic;
    n.in_context = !scoped && resolver_ != nullptr;
    if (n.in_context) resolver_->note_dynamic_lookup();
    kids.push_back(compile_node(path_arg, path_pointer, depth + 1, false, scoped));
  }
  if (listed && args.size() == 2) {
    n.has_default = true;
    kids.push_back(compile_node(args[1], here + "/1", depth + 1, false, scoped));
  }
  return add_node(n, kids);
}

std::uint32_t LogicCompiler::compile_missing(Op op, const nlohmann::json& args, const std::string& here,
                                             std::size_t depth, bool scoped) {
  const bool listed = args.is_array();
  const std::size_t count = listed ? args.size() : 1;
  if (op == Op::kMissingSome && count != 2) {
    error(here, "\"missing_some\" takes a minimum count and a list of paths");
    return make_literal(nullptr);
  }
  std::vector<std::uint32_t> kids;
  for (std::size_t i = 0; i < count; ++i) {
    const nlohmann::json& a = listed ? args[i] : args;
    kids.push_back(compile_node(a, listed ? here + "/" + std::to_string(i) : here, depth + 1, false, scoped));
  }
  Node n;
  n.op = op;
  n.in_context = !scoped && resolver_ != nullptr;
  if (n.in_context) {
    // Validate and register the literal keys now so the engine extracts them; anything computed
    // can name any path.
    const nlohmann::json* keys = nullptr;
    nlohmann::json wrapped;
    if (op == Op::kMissingSome) {
      keys = &args[1];
    } else if (listed && args.size() == 1 && args[0].is_array()) {
      keys = &args[0];
    } else {
      wrapped = listed ? args : nlohmann::json::array({args});
      keys = &wrapped;
    }
    if (!keys->is_array() || !is_constant(*keys)) {
      resolver_->note_dynamic_lookup();
    } else {
      for (std::size_t i = 0; i < keys->size(); ++i) {
        std::string text;
        if (!literal_path_text((*keys)[i], &text) || text.empty()) {
          resolver_->note_dynamic_lookup();
          continue;
        }
        PathResolution r = resolver_->resolve(split_var_path(text));
        if (r.kind == PathResolution::Kind::kError) error(here, r.error);
      }
    }
  }
  return add_node(n, kids);
}

void LogicCompiler::fuse_slot_leaf(std::uint32_t id) {
  Node& n = program_->nodes[id];
  if (n.child_count != 2) return;
  const Node& a = program_->nodes[program_->child_ids(n)[0]];
  const Node& b = program_->nodes[program_->child_ids(n)[1]];
  const bool plain_slot = a.op == Op::kVarSlot && !a.has_default && a.path == kNoIndex;
  if (!plain_slot || b.op != Op::kLiteral) return;
  const ValueKind k = b.literal.kind;
  Op fused = n.op;
  switch (n.op) {
    case Op::kStrictEq: if (k == ValueKind::kString) fused = Op::kSlotStrictEqString; break;
    case Op::kStrictNe: if (k == ValueKind::kString) fused = Op::kSlotStrictNeString; break;
    case Op::kGt: if (k == ValueKind::kNumber) fused = Op::kSlotGtNumber; break;
    case Op::kGe: if (k == ValueKind::kNumber) fused = Op::kSlotGeNumber; break;
    case Op::kLt: if (k == ValueKind::kNumber) fused = Op::kSlotLtNumber; break;
    case Op::kLe: if (k == ValueKind::kNumber) fused = Op::kSlotLeNumber; break;
    case Op::kStartsWith: if (k == ValueKind::kString) fused = Op::kSlotStartsWith; break;
    case Op::kEndsWith: if (k == ValueKind::kString) fused = Op::kSlotEndsWith; break;
    case Op::kIn: {
      if (k != ValueKind::kArray || b.literal.backing != Backing::kItems) break;
      bool strings = true;
      for (std::size_t i = 0; i < b.literal.items.size; ++i)
        strings = strings && b.literal.items.data[i].kind == ValueKind::kString;
      if (strings) fused = Op::kSlotInStrings;
      break;
    }
    default:
      break;
  }
  if (fused == n.op) return;
  n.slot = a.slot;
  n.literal = b.literal;
  n.op = fused;
}

void LogicCompiler::note_comparisons(std::uint32_t id) {
  if (!resolver_) return;
  const Node& n = program_->nodes[id];
  const std::uint32_t* kids = program_->child_ids(n);
  std::vector<double> literals;
  for (std::uint32_t i = 0; i < n.child_count; ++i) {
    const Node& k = program_->nodes[kids[i]];
    if (k.op == Op::kLiteral && k.literal.kind == ValueKind::kNumber) literals.push_back(k.literal.number);
  }
  if (literals.empty() || literals.size() + 1 != n.child_count) return;
  for (std::uint32_t i = 0; i < n.child_count; ++i) {
    const Node& k = program_->nodes[kids[i]];
    if (k.op == Op::kVarSlot && k.path == kNoIndex && !k.has_default) {
      resolver_->note_compared_with(k.slot, literals);
    }
  }
}

void LogicCompiler::maybe_index_or(std::uint32_t id) {
  if (!resolver_) return;
  auto name_slot = resolver_->event_name_slot();
  if (!name_slot) return;
  Node& n = program_->nodes[id];
  if (n.child_count < kMinIndexedOrChildren) return;
  OrIndex index;
  index.name_slot = *name_slot;
  std::vector<std::optional<std::vector<std::string>>> per_child;
  bool any_constrained = false;
  index.all_constrained = true;
  for (std::uint32_t i = 0; i < n.child_count; ++i) {
    per_child.push_back(required_event_names(*program_, program_->child_ids(n)[i], *name_slot));
    if (per_child.back()) any_constrained = true;
    else index.all_constrained = false;
  }
  if (!any_constrained) return;
  for (const auto& names : per_child) {
    if (!names) continue;
    for (const auto& name : *names) {
      auto next = static_cast<std::uint32_t>(index.lists.size());
      if (index.names.insert(name, next) == next) index.lists.emplace_back();
    }
  }
  for (std::uint32_t i = 0; i < n.child_count; ++i) {
    std::uint32_t child = program_->child_ids(n)[i];
    if (!per_child[i]) {
      index.unconstrained.push_back(child);
      for (auto& list : index.lists) list.push_back(child);
      continue;
    }
    for (const auto& name : *per_child[i]) index.lists[static_cast<std::size_t>(index.names.find(name))].push_back(child);
  }
  program_->or_indexes.push_back(std::move(index));
  n.op = Op::kOrIndexed;
  n.path = static_cast<std::uint32_t>(program_->or_indexes.size() - 1);
}

}  // namespace touchpoint::rules
