// Rules are compiled where they are authored: `touchpoint-rules/1` JSON in, the compiled program
// that devices load out (format: docs/rules.md "Compiled programs"). Native and test builds only;
// the product wasm has no compiler.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "touchpoint/rules/rule_error.hpp"

namespace touchpoint::rules {

// The program text, or "" with *errors when the rule set is rejected (same errors as TagEngine::load).
std::string compile_rules_to_program(std::string_view rules_json, std::vector<RuleError>* errors);

// For a rule set that does not compile: a program envelope carrying its errors instead of a
// program, so a device that fetches it rejects it with the reasons (and keeps the set in force).
std::string rejected_program(const std::string& version, const std::vector<RuleError>& errors);

}  // namespace touchpoint::rules
