// Where the compiler is linked (native: collector, CLI, tests; the test wasm): a rule set's text
// is a compiled program or `touchpoint-rules/1` JSON, compiled here. The product wasm replaces
// this file with wasm/program_only_rule_text.cpp, so the compiler is not linked into it.
#include "rule_program.hpp"

namespace touchpoint::rules {

std::unique_ptr<CompiledRuleSet> load_rule_text(std::string_view text, std::vector<RuleError>* errors) {
  if (looks_like_program(text)) return decode_program(text, errors);
  return compile_rule_set(text, errors);
}

}  // namespace touchpoint::rules
