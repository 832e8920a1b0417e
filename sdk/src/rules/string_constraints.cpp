#include "string_constraints.hpp"

#include <algorithm>
#include <iterator>

namespace touchpoint::rules {

namespace {

using Strings = std::vector<std::string>;

bool is_plain_slot(const Program& program, const Node& n) {
  if (n.op != Op::kVarSlot || n.has_default) return false;
  return n.path == kNoIndex || program.paths[n.path].segments.empty();
}

Strings sorted_unique(Strings s) {
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

std::optional<Strings> string_items(const Value& array) {
  if (array.kind != ValueKind::kArray) return std::nullopt;
  Strings values;
  std::size_t len = array_length(array);
  for (std::size_t i = 0; i < len; ++i) {
    Value e = array_element(array, i);
    if (e.kind != ValueKind::kString) return std::nullopt;  // a non-string could match a non-string
    values.emplace_back(e.string_view());
  }
  return sorted_unique(std::move(values));
}

// Both must hold: keep the tighter one (exact beats prefix; two exact sets intersect).
void conjoin(StringConstraint* into, StringConstraint other) {
  if (into->prefix && !other.prefix) {
    *into = std::move(other);
  } else if (!into->prefix && !other.prefix) {
    Strings both;
    std::set_intersection(into->strings.begin(), into->strings.end(), other.strings.begin(), other.strings.end(),
                          std::back_inserter(both));
    into->strings = std::move(both);
  } else if (into->prefix && other.prefix && other.strings.size() < into->strings.size()) {
    *into = std::move(other);
  }
}

}  // namespace

StringConstraints required_strings(const Program& program, std::uint32_t id) {
  const Node& n = program.nodes[id];
  const std::uint32_t* kids = program.child_ids(n);
  StringConstraints out;
  auto var_and_literal = [&](bool either_order, const Node** var, const Node** lit) {
    if (n.child_count != 2) return false;
    const Node& a = program.nodes[kids[0]];
    const Node& b = program.nodes[kids[1]];
    if (is_plain_slot(program, a) && b.op == Op::kLiteral) {
      *var = &a, *lit = &b;
      return true;
    }
    if (either_order && is_plain_slot(program, b) && a.op == Op::kLiteral) {
      *var = &b, *lit = &a;
      return true;
    }
    return false;
  };
  const Node* var = nullptr;
  const Node* lit = nullptr;
  switch (n.op) {
    case Op::kSlotStrictEqString:
      out[n.slot] = {{std::string(n.literal.string_view())}, false};
      break;
    case Op::kSlotInStrings:
      if (auto values = string_items(n.literal)) out[n.slot] = {std::move(*values), false};
      break;
    case Op::kSlotStartsWith:
      out[n.slot] = {{std::string(n.literal.string_view())}, true};
      break;
    case Op::kStrictEq:
      if (var_and_literal(true, &var, &lit) && lit->literal.kind == ValueKind::kString)
        out[var->slot] = {{std::string(lit->literal.string_view())}, false};
      break;
    case Op::kIn:
      if (var_and_literal(false, &var, &lit))
        if (auto values = string_items(lit->literal)) out[var->slot] = {std::move(*values), false};
      break;
    case Op::kStartsWith:
      if (var_and_literal(false, &var, &lit) && lit->literal.kind == ValueKind::kString)
        out[var->slot] = {{std::string(lit->literal.string_view())}, true};
      break;
    case Op::kAnd:
      for (std::uint32_t i = 0; i < n.child_count; ++i) {
        for (auto& [slot, c] : required_strings(program, kids[i])) {
          auto it = out.find(slot);
          if (it == out.end()) out.emplace(slot, std::move(c));
          else conjoin(&it->second, std::move(c));
        }
      }
      break;
    case Op::kOr:
    case Op::kOrIndexed: {
      if (n.child_count == 0) break;
      out = required_strings(program, kids[0]);
      for (std::uint32_t i = 1; i < n.child_count && !out.empty(); ++i) {
        StringConstraints next = required_strings(program, kids[i]);
        for (auto it = out.begin(); it != out.end();) {
          auto other = next.find(it->first);
          if (other == next.end()) {
            it = out.erase(it);
            continue;
          }
          it->second.prefix = it->second.prefix || other->second.prefix;  // an exact value is also a prefix
          it->second.strings.insert(it->second.strings.end(), other->second.strings.begin(), other->second.strings.end());
          it->second.strings = sorted_unique(std::move(it->second.strings));
          ++it;
        }
      }
      break;
    }
    default:
      break;
  }
  return out;
}

std::optional<Strings> required_event_names(const Program& program, std::uint32_t node, std::uint32_t name_slot) {
  StringConstraints c = required_strings(program, node);
  auto it = c.find(name_slot);
  if (it == c.end() || it->second.prefix) return std::nullopt;
  return std::move(it->second.strings);
}

}  // namespace touchpoint::rules
