// A compiled JsonLogic program: a flat pool of nodes shared by every predicate of a rule set, with
// literals and var paths resolved once at compile time.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "string_index.hpp"
#include "value.hpp"

namespace touchpoint::rules {

enum class Op : std::uint8_t {
  kLiteral,     // a constant (scalars, literal arrays, multi-key objects)
  kArray,       // an array whose elements are expressions
  kVarScope,    // var with a literal path over the current data (apply, or inside map/filter/...)
  kVarSlot,     // var with a literal path resolved to an engine slot, plus the rest of the path
  kVarContext,  // var with a literal path the engine looks up at run time (whole objects)
  kVarDynamic,  // var whose path is computed (child 0)
  kMissing,
  kMissingSome,
  kIf,
  kEq,
  kStrictEq,
  kNe,
  kStrictNe,
  kNot,
  kNotNot,
  kOr,
  kAnd,
  kGt,
  kGe,
  kLt,
  kLe,
  kMax,
  kMin,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kMap,
  kFilter,
  kReduce,
  kAll,
  kNone,
  kSome,
  kMerge,
  kIn,
  kCat,
  kSubstr,
  kLog,
  kStartsWith,
  kEndsWith,
  kOrIndexed,   // an `or` in a boolean position that only tries the children the event name allows
  // Fused forms of the hot leaves {"op": [{"var": slot path}, literal]}: `slot` and `literal`
  // hold the operands (children are kept for the generic path and for analysis).
  kSlotStrictEqString,
  kSlotStrictNeString,
  kSlotInStrings,
  kSlotGtNumber,
  kSlotGeNumber,
  kSlotLtNumber,
  kSlotLeNumber,
  kSlotStartsWith,
  kSlotEndsWith,
};

constexpr std::uint32_t kNoIndex = 0xFFFFFFFFu;

struct Node {
  Op op = Op::kLiteral;
  bool in_context = false;   // var/missing at the engine root: look up in the context, not the data
  bool has_default = false;  // var: the last child is the default value
  std::uint32_t first_child = 0;
  std::uint32_t child_count = 0;
  std::uint32_t slot = 0;           // kVarSlot
  std::uint32_t path = kNoIndex;    // var: index into Program::paths; kOrIndexed: into or_indexes
  Value literal;                    // kLiteral
};

// Dispatch table of a kOrIndexed node: which children can be truthy for a given event name.
struct OrIndex {
  std::uint32_t name_slot = 0;
  StringIndex names;                               // event name -> candidate list
  std::vector<std::vector<std::uint32_t>> lists;   // child node ids in rule order
  std::vector<std::uint32_t> unconstrained;        // children that can hold for any event
  bool all_constrained = false;
};

struct VarPath {
  std::string text;                 // as written (runtime context lookups)
  std::vector<std::string> segments;  // split on "."; empty = the whole data
};

struct Program {
  std::vector<Node> nodes;
  std::vector<std::uint32_t> children;
  std::vector<VarPath> paths;
  std::vector<OrIndex> or_indexes;
  // Owned literal storage; Values in nodes point into it (deques keep addresses stable).
  std::deque<std::string> strings;
  std::deque<nlohmann::json> objects;
  std::deque<std::vector<Value>> arrays;

  const std::uint32_t* child_ids(const Node& n) const { return children.data() + n.first_child; }
};

// A literal of the program: strings, arrays (of literals) and objects are stored in `program`
// (compiler and program loader share this, so both build the same values).
Value keep_literal(Program* program, const nlohmann::json& value);

}  // namespace touchpoint::rules
