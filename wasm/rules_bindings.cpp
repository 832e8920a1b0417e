// The rule engine's own entry points in wasm, beside the SDK engine (bindings.cpp): JsonLogic
// apply (the conformance suite runs through it) and RuleReplay (the same replay as the
// `touchpoint-rules replay` CLI, so both targets can be compared on the workload).
#include <emscripten/bind.h>

#include <string>

#include "touchpoint/rules/json_logic.hpp"
#include "touchpoint/rules/rule_replay.hpp"

namespace {

using nlohmann::json;

std::string errors_json(const std::vector<touchpoint::rules::RuleError>& errors) {
  json out = json::array();
  for (const auto& e : errors) out.push_back({{"path", e.path}, {"message", e.message}});
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

// {"result": value} or {"errors": [...]} for malformed rule/data JSON or rules that do not compile.
std::string json_logic_apply(const std::string& rule_text, const std::string& data_text) {
  json rule = json::parse(rule_text, nullptr, false);
  json data = json::parse(data_text, nullptr, false);
  if (rule.is_discarded() || data.is_discarded())
    return R"({"errors":[{"path":"","message":"rule or data is not valid JSON"}]})";
  std::vector<touchpoint::rules::RuleError> errors;
  json result = touchpoint::rules::json_logic_apply(rule, data, &errors);
  if (!errors.empty()) return "{\"errors\":" + errors_json(errors) + "}";
  return json{{"result", std::move(result)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

class WasmRuleReplay {
 public:
  std::string load(const std::string& rules) { return errors_json(replay_.load(rules)); }
  double feed(const std::string& chunk) { return static_cast<double>(replay_.feed(chunk)); }
  double finish() { return static_cast<double>(replay_.finish()); }
  std::string summary() const { return replay_.summary().dump(-1, ' ', false, json::error_handler_t::replace); }

 private:
  touchpoint::rules::RuleReplay replay_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(touchpoint_rules) {
  emscripten::function("jsonLogicApply", &json_logic_apply);
  emscripten::class_<WasmRuleReplay>("RuleReplay")
      .constructor<>()
      .function("load", &WasmRuleReplay::load)
      .function("feed", &WasmRuleReplay::feed)
      .function("finish", &WasmRuleReplay::finish)
      .function("summary", &WasmRuleReplay::summary);
}
