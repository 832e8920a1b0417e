// The product wasm's rule loader: compiled programs only (rule_program.hpp). Rules are validated
// and compiled where they are authored (the collector's /v1/rules, `touchpoint-rules compile`),
// so neither the rule-set compiler nor the JsonLogic compiler is linked into the device. This
// definition takes the place of sdk/src/rules/rule_text_loader.cpp: the linker takes a symbol
// from the executable's own objects before looking into the core library.
#include "../sdk/src/rules/rule_program.hpp"

namespace touchpoint::rules {

std::unique_ptr<CompiledRuleSet> load_rule_text(std::string_view text, std::vector<RuleError>* errors) {
  if (looks_like_program(text)) return decode_program(text, errors);
  errors->clear();
  errors->push_back({"", "not a compiled rule program: this SDK loads rules compiled by the collector's /v1/rules "
                         "or `touchpoint-rules compile RULES.json -o PROGRAM`, not touchpoint-rules/1 source"});
  return nullptr;
}

}  // namespace touchpoint::rules
