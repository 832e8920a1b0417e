// The compiled rule program: a validated `touchpoint-rules/1` set compiled where it is authored
// (the collector's /v1/rules, `touchpoint-rules compile`) into what the device loads without a
// compiler. Text, one line of compact JSON, readable by any JSON tool (format in docs/rules.md):
//   {"format":"touchpoint-program/1","checksum":"<FNV-1a 64, 16 hex>","bytes":N,"version":"...","program":{...}}
// The checksum and byte count cover everything after `"bytes":N,` up to the closing brace.
// The loader checks the envelope, then every index and every invariant the evaluator relies on:
// a program it cannot load is an error list, never an abort or an out-of-bounds read.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiled_rule_set.hpp"
#include "touchpoint/rules/rule_error.hpp"

namespace touchpoint::rules {

constexpr const char* kProgramFormatPrefix = "{\"format\":\"touchpoint-program/";
constexpr int kProgramFormatVersion = 1;
// Programs are a little larger than their source (1,000 rules: about 400 KB).
constexpr std::size_t kMaxProgramBytes = 2 * kMaxRuleSetBytes;
// Evaluation recurses along the node tree; the compiler emits at most kMaxLogicDepth levels of
// JsonLogic plus a few of its own (var defaults, arrays), so deeper is corrupt.
constexpr std::size_t kMaxProgramDepth = 160;

std::uint64_t program_checksum(std::string_view bytes);
// True when `text` claims to be a program (any version): it is then never read as a rule set.
bool looks_like_program(std::string_view text);

// Compiler side (native, test wasm): the program of a compiled rule set.
std::string encode_program(const CompiledRuleSet& rules);

// Device side: a checked rule set, or null with *errors ({"/program/n/12", "child 40 ..."}).
std::unique_ptr<CompiledRuleSet> decode_program(std::string_view text, std::vector<RuleError>* errors);

// The tables derived from the definitions (dispatch trees, tag schedule, hot copies), built
// after compiling and after decoding, so the program carries only definitions.
void index_rule_set(CompiledRuleSet* rules);

// A rule set as text: a program, or (where the compiler is linked) `touchpoint-rules/1` JSON.
// The product wasm links the program-only variant (wasm/program_only_rule_text.cpp).
std::unique_ptr<CompiledRuleSet> load_rule_text(std::string_view text, std::vector<RuleError>* errors);

}  // namespace touchpoint::rules
