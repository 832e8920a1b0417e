#include "logic_program.hpp"

namespace touchpoint::rules {

Value keep_literal(Program* program, const nlohmann::json& value) {
  if (value.is_string()) {
    program->strings.push_back(*value.get_ptr<const std::string*>());
    return Value::of_string(program->strings.back());
  }
  if (value.is_array()) {
    std::vector<Value> items;
    items.reserve(value.size());
    for (const auto& e : value) items.push_back(keep_literal(program, e));
    program->arrays.push_back(std::move(items));
    const auto& stored = program->arrays.back();
    return Value::of_items(stored.data(), stored.size());
  }
  if (value.is_object()) {
    program->objects.push_back(value);
    return Value::of_json(program->objects.back());
  }
  return Value::of_json(value);
}

}  // namespace touchpoint::rules
