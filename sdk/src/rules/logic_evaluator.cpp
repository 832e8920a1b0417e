#include "logic_evaluator.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "js_coercion.hpp"

namespace touchpoint::rules {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// json-logic-js var: descend one key at a time; null/undefined on the way means "not found".
Value walk(Value base, const std::vector<std::string>& segments) {
  for (const auto& segment : segments) {
    if (base.is_nullish()) return Value::undefined();
    base = member(base, segment);
    if (base.is_undefined()) return base;
  }
  return base;
}

Value walk_text(const Value& base, std::string_view text) {
  if (text.empty()) return base;
  Value cur = base;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = text.find('.', start);
    std::string_view segment = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (cur.is_nullish()) return Value::undefined();
    cur = member(cur, segment);
    if (cur.is_undefined()) return cur;
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

class Evaluator {
 public:
  explicit Evaluator(const EvalEnv& env) : env_(env), program_(*env.program) {}

  Value child(const Node& n, std::uint32_t i, const Value& data) const {
    if (i >= n.child_count) return Value::undefined();
    return eval(program_.child_ids(n)[i], data);
  }

  // Looks up a runtime path (missing, dynamic var) in the scope data or the engine context.
  Value lookup(const Node& n, std::string_view path, const Value& data) const {
    if (n.in_context) return env_.context ? env_.context->lookup(path, env_.scratch) : Value::undefined();
    return walk_text(data, path);
  }

  Value finish_var(const Node& n, Value found, const Value& data) const {
    if (!found.is_undefined()) return found;
    if (n.has_default) return eval(program_.child_ids(n)[n.child_count - 1], data);
    return Value::null();
  }

  Value eval(std::uint32_t id, const Value& data) const {
    const Node& n = program_.nodes[id];
    switch (n.op) {
      case Op::kLiteral:
        return n.literal;
      case Op::kArray: {
        std::vector<Value> items;
        items.reserve(n.child_count);
        for (std::uint32_t i = 0; i < n.child_count; ++i) items.push_back(child(n, i, data));
        return env_.scratch->keep_array(std::move(items));
      }
      case Op::kVarScope: {
        const VarPath& p = program_.paths[n.path];
        if (p.text.empty()) return data;  // "" / null path: the data itself, never the default
        return finish_var(n, walk(data, p.segments), data);
      }
      case Op::kVarSlot: {
        const Value& base = env_.slots[n.slot];
        if (n.path == kNoIndex) return finish_var(n, base, data);
        return finish_var(n, walk(base, program_.paths[n.path].segments), data);
      }
      case Op::kVarContext: {
        const VarPath& p = program_.paths[n.path];
        Value found = lookup(n, p.text, data);
        if (p.text.empty()) return found;
        return finish_var(n, found, data);
      }
      case Op::kVarDynamic: {
        Value path = child(n, 0, data);
        if (path.is_nullish() || (path.kind == ValueKind::kString && path.str.size == 0)) {
          return n.in_context ? lookup(n, "", data) : data;
        }
        std::string text = to_js_string(path);
        return finish_var(n, lookup(n, text, data), data);
      }
      case Op::kMissing: {
        std::vector<Value> args;
        for (std::uint32_t i = 0; i < n.child_count; ++i) args.push_back(child(n, i, data));
        return missing(n, args, data);
      }
      case Op::kMissingSome: {
        Value need = child(n, 0, data);
        Value options = child(n, 1, data);
        std::vector<Value> keys;
        if (options.kind == ValueKind::kArray) {
          std::size_t len = array_length(options);
          for (std::size_t i = 0; i < len; ++i) keys.push_back(array_element(options, i));
        } else {
          keys.push_back(options);
        }
        Value are_missing = missing_keys(n, keys, data);
        double options_length = options.kind == ValueKind::kArray    ? static_cast<double>(array_length(options))
                                : options.kind == ValueKind::kString ? static_cast<double>(utf16_length(options.string_view()))
                                                                     : kNaN;
        double present = options_length - static_cast<double>(array_length(are_missing));
        if (js_ge(Value::of_number(present), need)) return env_.scratch->keep_array({});
        return are_missing;
      }
      case Op::kIf: {
        std::uint32_t i = 0;
        for (; i + 1 < n.child_count; i += 2)
          if (test_node(program_.child_ids(n)[i], data)) return child(n, i + 1, data);
        if (n.child_count == i + 1) return child(n, i, data);
        return Value::null();
      }
      case Op::kEq:
        return Value::of_bool(loose_equal(child(n, 0, data), child(n, 1, data)));
      case Op::kStrictEq:
        return Value::of_bool(strict_equal(child(n, 0, data), child(n, 1, data)));
      case Op::kNe:
        return Value::of_bool(!loose_equal(child(n, 0, data), child(n, 1, data)));
      case Op::kStrictNe:
        return Value::of_bool(!strict_equal(child(n, 0, data), child(n, 1, data)));
      case Op::kNot:
        return Value::of_bool(!truthy(child(n, 0, data)));
      case Op::kNotNot:
        return Value::of_bool(truthy(child(n, 0, data)));
      case Op::kOr:
      case Op::kOrIndexed: {
        Value current;
        for (std::uint32_t i = 0; i < n.child_count; ++i) {
          current = child(n, i, data);
          if (truthy(current)) return current;
        }
        return current;
      }
      case Op::kAnd: {
        Value current;
        for (std::uint32_t i = 0; i < n.child_count; ++i) {
          current = child(n, i, data);
          if (!truthy(current)) return current;
        }
        return current;
      }
      case Op::kGt:
      case Op::kGe:
      case Op::kLt:
      case Op::kLe:
        return Value::of_bool(compare(n, data));
      case Op::kMax:
      case Op::kMin: {
        bool is_max = n.op == Op::kMax;
        double acc = is_max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        for (std::uint32_t i = 0; i < n.child_count; ++i) {
          double v = to_number(child(n, i, data));
          if (std::isnan(v)) return Value::of_number(kNaN);
          acc = is_max ? std::max(acc, v) : std::min(acc, v);
        }
        return Value::of_number(acc);
      }
      case Op::kAdd: {
        double sum = 0;
        for (std::uint32_t i = 0; i < n.child_count; ++i) sum += parse_float(child(n, i, data));
        return Value::of_number(sum);
      }
      case Op::kMul: {
        // Array.prototype.reduce without an initial value: one argument comes back unconverted.
        if (n.child_count == 0) return Value::of_number(kNaN);
        if (n.child_count == 1) return child(n, 0, data);
        double product = parse_float(child(n, 0, data));
        for (std::uint32_t i = 1; i < n.child_count; ++i) product *= parse_float(child(n, i, data));
        return Value::of_number(product);
      }
      case Op::kSub: {
        Value a = child(n, 0, data);
        if (n.child_count < 2) return Value::of_number(-to_number(a));
        return Value::of_number(to_number(a) - to_number(child(n, 1, data)));
      }
      case Op::kDiv:
        return Value::of_number(to_number(child(n, 0, data)) / to_number(child(n, 1, data)));
      case Op::kMod:
        return Value::of_number(std::fmod(to_number(child(n, 0, data)), to_number(child(n, 1, data))));
      case Op::kMap:
      case Op::kFilter: {
        Value list = child(n, 0, data);
        std::vector<Value> out;
        if (list.kind == ValueKind::kArray) {
          std::uint32_t body = program_.child_ids(n)[1];
          std::size_t len = array_length(list);
          for (std::size_t i = 0; i < len; ++i) {
            Value element = array_element(list, i);
            if (n.op == Op::kMap) out.push_back(eval(body, element));
            else if (test_node(body, element)) out.push_back(element);
          }
        }
        return env_.scratch->keep_array(std::move(out));
      }
      case Op::kReduce: {
        Value list = child(n, 0, data);
        Value acc = n.child_count > 2 ? child(n, 2, data) : Value::null();
        if (list.kind != ValueKind::kArray) return acc;
        std::uint32_t body = program_.child_ids(n)[1];
        std::size_t len = array_length(list);
        for (std::size_t i = 0; i < len; ++i) {
          const ReducePair* pair = env_.scratch->keep_pair({array_element(list, i), acc});
          acc = eval(body, Value::of_pair(pair));
        }
        return acc;
      }
      case Op::kAll:
      case Op::kNone:
      case Op::kSome:
        return Value::of_bool(quantifier(n, data));
      case Op::kMerge: {
        std::vector<Value> out;
        for (std::uint32_t i = 0; i < n.child_count; ++i) {
          Value v = child(n, i, data);
          if (v.kind == ValueKind::kArray) {
            std::size_t len = array_length(v);
            for (std::size_t k = 0; k < len; ++k) out.push_back(array_element(v, k));
          } else {
            out.push_back(v);
          }
        }
        return env_.scratch->keep_array(std::move(out));
      }
      case Op::kIn:
        return Value::of_bool(contains(n, data));
      case Op::kCat: {
        std::string out;
        for (std::uint32_t i = 0; i < n.child_count; ++i) {
          Value v = child(n, i, data);
          if (!v.is_nullish()) append_js_string(v, &out);
        }
        return Value::of_string(env_.scratch->keep(std::move(out)));
      }
      case Op::kSubstr:
        return substr(n, data);
      case Op::kLog:
        return child(n, 0, data);  // the core has no console; log is the identity
      case Op::kStartsWith:
      case Op::kEndsWith:
        return Value::of_bool(affix(n, data));
      case Op::kSlotStrictEqString:
      case Op::kSlotStrictNeString:
      case Op::kSlotInStrings:
      case Op::kSlotGtNumber:
      case Op::kSlotGeNumber:
      case Op::kSlotLtNumber:
      case Op::kSlotLeNumber:
      case Op::kSlotStartsWith:
      case Op::kSlotEndsWith:
        return Value::of_bool(test_node(id, data));
    }
    return Value::undefined();
  }

  static bool is_fused_leaf(Op op) { return op >= Op::kSlotStrictEqString; }

  // The fused leaves {"op": [{"var": slot}, literal]}: most of the work of a rule set, evaluated
  // inline by their parents.
  inline bool test_leaf(const Node& n, const Value& data) const {
    switch (n.op) {
      case Op::kSlotStrictEqString:
        return same_string(env_.slots[n.slot], n.literal);
      case Op::kSlotStrictNeString:
        return !same_string(env_.slots[n.slot], n.literal);
      case Op::kSlotInStrings: {
        const Value& v = env_.slots[n.slot];
        if (v.kind != ValueKind::kString) return false;
        for (std::size_t i = 0; i < n.literal.items.size; ++i)
          if (same_string(v, n.literal.items.data[i])) return true;
        return false;
      }
      case Op::kSlotGtNumber:
      case Op::kSlotGeNumber:
      case Op::kSlotLtNumber:
      case Op::kSlotLeNumber: {
        const Value& v = env_.slots[n.slot];
        if (v.kind != ValueKind::kNumber) return compare(n, data);  // JavaScript coercions
        const double a = v.number, b = n.literal.number;
        switch (n.op) {
          case Op::kSlotGtNumber: return a > b;
          case Op::kSlotGeNumber: return a >= b;
          case Op::kSlotLtNumber: return a < b;
          default: return a <= b;
        }
      }
      case Op::kSlotStartsWith:
      case Op::kSlotEndsWith: {
        const Value& v = env_.slots[n.slot];
        if (v.kind != ValueKind::kString || v.str.size < n.literal.str.size) return false;
        const char* at = n.op == Op::kSlotStartsWith ? v.str.data : v.str.data + v.str.size - n.literal.str.size;
        return bytes_equal(at, n.literal.str.data, n.literal.str.size);
      }
      default:
        return false;
    }
  }

  // test_node for a child, without a call when it is a fused leaf.
  bool test_child(std::uint32_t id, const Value& data) const {
    const Node& c = program_.nodes[id];
    return is_fused_leaf(c.op) ? test_leaf(c, data) : test_node(id, data);
  }

  bool test_node(std::uint32_t id, const Value& data) const {
    const Node& n = program_.nodes[id];
    if (is_fused_leaf(n.op)) return test_leaf(n, data);
    switch (n.op) {
      case Op::kLiteral:
        return truthy(n.literal);
      case Op::kAnd:
        if (n.child_count == 0) return false;
        for (std::uint32_t i = 0; i < n.child_count; ++i)
          if (!test_child(program_.child_ids(n)[i], data)) return false;
        return true;
      case Op::kOr:
        for (std::uint32_t i = 0; i < n.child_count; ++i)
          if (test_child(program_.child_ids(n)[i], data)) return true;
        return false;
      case Op::kOrIndexed: {
        const OrIndex& index = program_.or_indexes[n.path];
        const Value& name = env_.slots[index.name_slot];
        const std::vector<std::uint32_t>* candidates = &index.unconstrained;
        if (name.kind == ValueKind::kString) {
          std::int64_t list = index.names.find(name.string_view());
          if (list >= 0) candidates = &index.lists[static_cast<std::size_t>(list)];
        }
        for (std::uint32_t child_id : *candidates)
          if (test_child(child_id, data)) return true;
        return false;
      }
      case Op::kNot:
        return n.child_count == 0 ? true : !test_node(program_.child_ids(n)[0], data);
      case Op::kNotNot:
        return n.child_count == 0 ? false : test_node(program_.child_ids(n)[0], data);
      case Op::kIf: {
        std::uint32_t i = 0;
        for (; i + 1 < n.child_count; i += 2)
          if (test_node(program_.child_ids(n)[i], data)) return test_node(program_.child_ids(n)[i + 1], data);
        if (n.child_count == i + 1) return test_node(program_.child_ids(n)[i], data);
        return false;
      }
      case Op::kEq:
        return loose_equal(child(n, 0, data), child(n, 1, data));
      case Op::kStrictEq:
        return strict_equal(child(n, 0, data), child(n, 1, data));
      case Op::kNe:
        return !loose_equal(child(n, 0, data), child(n, 1, data));
      case Op::kStrictNe:
        return !strict_equal(child(n, 0, data), child(n, 1, data));
      case Op::kGt:
      case Op::kGe:
      case Op::kLt:
      case Op::kLe:
        return compare(n, data);
      case Op::kIn:
        return contains(n, data);
      case Op::kAll:
      case Op::kNone:
      case Op::kSome:
        return quantifier(n, data);
      case Op::kStartsWith:
      case Op::kEndsWith:
        return affix(n, data);
      default:
        return truthy(eval(id, data));
    }
  }

 private:
  static bool same_string(const Value& v, const Value& literal) {
    return v.kind == ValueKind::kString && v.str.size == literal.str.size &&
           bytes_equal(v.str.data, literal.str.data, v.str.size);
  }

  bool compare(const Node& n, const Value& data) const {
    Value a = child(n, 0, data);
    Value b = child(n, 1, data);
    switch (n.op) {
      case Op::kGt:
      case Op::kSlotGtNumber:
        return js_gt(a, b);
      case Op::kGe:
      case Op::kSlotGeNumber:
        return js_ge(a, b);
      case Op::kLt:
      case Op::kSlotLtNumber:
        if (n.child_count >= 3) return js_lt(a, b) && js_lt(b, child(n, 2, data));
        return js_lt(a, b);
      default:  // kLe
        if (n.child_count >= 3) return js_le(a, b) && js_le(b, child(n, 2, data));
        return js_le(a, b);
    }
  }

  bool contains(const Node& n, const Value& data) const {
    Value needle = child(n, 0, data);
    Value haystack = child(n, 1, data);
    if (haystack.kind == ValueKind::kString) {
      if (haystack.str.size == 0) return false;  // `!b` in json-logic-js
      if (needle.kind == ValueKind::kString) return haystack.string_view().find(needle.string_view()) != std::string_view::npos;
      return haystack.string_view().find(to_js_string(needle)) != std::string_view::npos;
    }
    if (haystack.kind != ValueKind::kArray) return false;
    std::size_t len = array_length(haystack);
    if (haystack.backing == Backing::kItems) {
      for (std::size_t i = 0; i < len; ++i)
        if (strict_equal(haystack.items.data[i], needle)) return true;
      return false;
    }
    for (std::size_t i = 0; i < len; ++i)
      if (strict_equal(array_element(haystack, i), needle)) return true;
    return false;
  }

  bool quantifier(const Node& n, const Value& data) const {
    Value list = child(n, 0, data);
    std::size_t len = list.kind == ValueKind::kArray ? array_length(list) : 0;
    if (len == 0) return n.op == Op::kNone;
    std::uint32_t body = program_.child_ids(n)[1];
    for (std::size_t i = 0; i < len; ++i) {
      bool holds = test_node(body, array_element(list, i));
      if (n.op == Op::kAll && !holds) return false;
      if (n.op == Op::kNone && holds) return false;
      if (n.op == Op::kSome && holds) return true;
    }
    return n.op != Op::kSome;
  }

  bool affix(const Node& n, const Value& data) const {
    Value s = child(n, 0, data);
    Value a = child(n, 1, data);
    if (s.kind != ValueKind::kString || a.kind != ValueKind::kString) return false;
    std::string_view sv = s.string_view(), av = a.string_view();
    if (av.size() > sv.size()) return false;
    if (n.op == Op::kStartsWith) return sv.compare(0, av.size(), av) == 0;
    return sv.compare(sv.size() - av.size(), av.size(), av) == 0;
  }

  Value substr(const Node& n, const Value& data) const {
    std::string source = to_js_string(child(n, 0, data));
    double start = to_number(child(n, 1, data));
    Value end = child(n, 2, data);
    std::string out;
    if (js_lt(end, Value::of_number(0))) {
      // json-logic-js: temp = substr(start); temp.substr(0, temp.length + end). A non-number `end`
      // turns `+` into string concatenation, which reads back as NaN: length 0.
      if (end.kind == ValueKind::kNumber) {
        std::string temp = js_substr(source, start, std::nullopt);
        out = js_substr(temp, 0, static_cast<double>(utf16_length(temp)) + end.number);
      }
    } else if (end.is_undefined()) {
      out = js_substr(source, start, std::nullopt);
    } else {
      out = js_substr(source, start, to_number(end));
    }
    return Value::of_string(env_.scratch->keep(std::move(out)));
  }

  Value missing(const Node& n, const std::vector<Value>& args, const Value& data) const {
    std::vector<Value> keys;
    if (!args.empty() && args[0].kind == ValueKind::kArray) {
      std::size_t len = array_length(args[0]);
      for (std::size_t i = 0; i < len; ++i) keys.push_back(array_element(args[0], i));
    } else {
      keys = args;
    }
    return missing_keys(n, keys, data);
  }

  Value missing_keys(const Node& n, const std::vector<Value>& keys, const Value& data) const {
    std::vector<Value> out;
    for (const Value& key : keys) {
      Value found;
      if (key.is_nullish() || (key.kind == ValueKind::kString && key.str.size == 0)) {
        found = n.in_context ? lookup(n, "", data) : data;
      } else {
        found = lookup(n, to_js_string(key), data);
      }
      if (found.is_nullish() || (found.kind == ValueKind::kString && found.str.size == 0)) out.push_back(key);
    }
    return env_.scratch->keep_array(std::move(out));
  }

  const EvalEnv& env_;
  const Program& program_;
};

}  // namespace

Value evaluate(const EvalEnv& env, std::uint32_t id, const Value& data) { return Evaluator(env).eval(id, data); }

bool test(const EvalEnv& env, std::uint32_t id, const Value& data) { return Evaluator(env).test_node(id, data); }

}  // namespace touchpoint::rules
