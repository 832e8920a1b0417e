#include "touchpoint/rules/json_logic.hpp"

#include "logic_compiler.hpp"
#include "logic_evaluator.hpp"

namespace touchpoint::rules {

struct JsonLogic::Impl {
  Program program;
  std::uint32_t root = 0;
  std::vector<RuleError> errors;
  mutable Scratch scratch;
};

JsonLogic::JsonLogic(const nlohmann::json& rule) : impl_(std::make_unique<Impl>()) {
  std::vector<CompileError> errors;
  LogicCompiler compiler(&impl_->program, nullptr, &errors);
  impl_->root = compiler.compile(rule, "");
  for (auto& e : errors) impl_->errors.push_back({e.path, e.message});
}

JsonLogic::~JsonLogic() = default;
JsonLogic::JsonLogic(JsonLogic&&) noexcept = default;
JsonLogic& JsonLogic::operator=(JsonLogic&&) noexcept = default;

bool JsonLogic::ok() const { return impl_->errors.empty(); }
const std::vector<RuleError>& JsonLogic::errors() const { return impl_->errors; }

nlohmann::json JsonLogic::apply(const nlohmann::json& data) const {
  if (!ok()) return nullptr;
  EvalEnv env;
  env.program = &impl_->program;
  env.scratch = &impl_->scratch;
  nlohmann::json out = to_json(evaluate(env, impl_->root, Value::of_json(data)));
  impl_->scratch.clear();
  return out;
}

bool JsonLogic::test(const nlohmann::json& data) const {
  if (!ok()) return false;
  EvalEnv env;
  env.program = &impl_->program;
  env.scratch = &impl_->scratch;
  bool out = rules::test(env, impl_->root, Value::of_json(data));
  impl_->scratch.clear();
  return out;
}

nlohmann::json json_logic_apply(const nlohmann::json& rule, const nlohmann::json& data, std::vector<RuleError>* errors) {
  JsonLogic logic(rule);
  if (!logic.ok()) {
    if (errors) *errors = logic.errors();
    return nullptr;
  }
  return logic.apply(data);
}

}  // namespace touchpoint::rules
