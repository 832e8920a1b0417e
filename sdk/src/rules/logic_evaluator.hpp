// Evaluates a compiled JsonLogic Program with json-logic-js semantics.
#pragma once
#include <cstdint>
#include <string_view>

#include "logic_program.hpp"
#include "value.hpp"

namespace touchpoint::rules {

// The engine's context {event, traits, ...} for paths that are not precompiled slots.
class ContextSource {
 public:
  virtual ~ContextSource() = default;
  // The value at a dotted path ("" = the whole context); undefined when absent.
  virtual Value lookup(std::string_view dotted_path, Scratch* scratch) const = 0;
};

struct EvalEnv {
  const Program* program = nullptr;
  const Value* slots = nullptr;             // engine slots; null for plain JsonLogic
  const ContextSource* context = nullptr;   // engine slow path; null for plain JsonLogic
  Scratch* scratch = nullptr;
};

// The value of node `id` with `data` as the current data (the apply() argument, or the element
// inside map/filter/all/none/some/reduce).
Value evaluate(const EvalEnv& env, std::uint32_t id, const Value& data);
// truthy(evaluate(...)), computed without building intermediate values where possible.
bool test(const EvalEnv& env, std::uint32_t id, const Value& data);

}  // namespace touchpoint::rules
