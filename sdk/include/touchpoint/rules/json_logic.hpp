// Plain JsonLogic (jsonlogic.com) with json-logic-js semantics, plus the starts_with / ends_with
// extensions: compile once, apply to many data objects. The tag engine uses the same compiler and
// evaluator with its context precompiled into slots.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

#include "touchpoint/rules/rule_error.hpp"

namespace touchpoint::rules {

class JsonLogic {
 public:
  // Compiles `rule`; an unknown operator or a malformed argument list makes ok() false.
  explicit JsonLogic(const nlohmann::json& rule);
  ~JsonLogic();
  JsonLogic(JsonLogic&&) noexcept;
  JsonLogic& operator=(JsonLogic&&) noexcept;

  bool ok() const;
  const std::vector<RuleError>& errors() const;  // paths are JSON pointers into the rule

  // The rule's value for `data` as JSON (undefined, NaN and infinities become null, as
  // JSON.stringify writes them). null when !ok().
  nlohmann::json apply(const nlohmann::json& data) const;
  // Whether the rule's value is truthy (JsonLogic truthiness: [] is false).
  bool test(const nlohmann::json& data) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot apply. On errors returns null and fills *errors (if given).
nlohmann::json json_logic_apply(const nlohmann::json& rule, const nlohmann::json& data,
                                std::vector<RuleError>* errors = nullptr);

}  // namespace touchpoint::rules
