// The rule engine's own entry points in wasm, beside the SDK engine (bindings.cpp): JsonLogic
// apply (the conformance suite runs through it) and RuleReplay (the same replay as the
// `touchpoint-rules replay` CLI, so both targets can be compared on the workload). Everything
// crosses as strings: JSON in and out, events as NDJSON chunks (one crossing per chunk).
//
//   Module.jsonLogicApply(ruleJson, dataJson)
//       -> {"result": value} or {"error": "/path: message", "errors": [{"path", "message"}, ...]}
//   const r = new Module.RuleReplay();
//   r.load(rulesJson)    -> "[]" or [{"path": "/tags/3/when", "message": ...}, ...]
//   r.feed(ndjsonChunk)  -> events processed from the chunk (a partial last line waits)
//   r.reserve(bytes)     -> address of a wasm buffer of that size, for the fast path:
//   r.feedReserved(n)    -> feed(the first n bytes of that buffer). Embind copies a JS string
//                           into wasm with a JS UTF-8 loop (about half the cost of a replay in
//                           3.1.6); TextEncoder.encodeInto(chunk, HEAPU8.subarray(p, p + bytes))
//                           is native. Read HEAPU8 after reserve(): memory growth replaces it.
//   r.finish()           -> events processed from a last line that had no newline
//   r.summary()          -> the replay summary JSON (docs/rules.md)
//   r.errors()           -> ["line 12: malformed timestamp ...", ...] (rejected lines)
//   r.memoryBytes()      -> approximate bytes of rule state
//   r.delete()           -> frees the object (Embind objects are not garbage collected)
#include <emscripten/bind.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "touchpoint/rules/json_logic.hpp"
#include "touchpoint/rules/rule_replay.hpp"

namespace {

using nlohmann::json;

// Event strings are validated UTF-8; replace rather than abort if a caller-built one is not.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json errors_json(const std::vector<touchpoint::rules::RuleError>& errors) {
  json out = json::array();
  for (const auto& e : errors) out.push_back({{"path", e.path}, {"message", e.message}});
  return out;
}

std::string error_reply(const std::vector<touchpoint::rules::RuleError>& errors) {
  const auto& first = errors.front();
  return dump({{"error", (first.path.empty() ? "/" : first.path) + ": " + first.message}, {"errors", errors_json(errors)}});
}

std::string json_logic_apply(const std::string& rule_text, const std::string& data_text) {
  json rule = json::parse(rule_text, nullptr, false);
  if (rule.is_discarded()) return error_reply({{"", "rule is not valid JSON"}});
  json data = json::parse(data_text, nullptr, false);
  if (data.is_discarded()) return error_reply({{"", "data is not valid JSON"}});
  touchpoint::rules::JsonLogic logic(rule);
  if (!logic.ok()) return error_reply(logic.errors());
  return dump({{"result", logic.apply(data)}});
}

// A replay chunk is a few MB (tools/bench-rules.mjs uses 1 MB); 1 GiB is far past any wasm heap we grow to.
constexpr double kMaxReserveBytes = 1024.0 * 1024 * 1024;

class WasmRuleReplay {
 public:
  std::string load(const std::string& rules) { return dump(errors_json(replay_.load(rules))); }
  double feed(const std::string& chunk) { return static_cast<double>(replay_.feed(chunk)); }
  double reserve(double bytes) {
    // NaN, negative or absurd sizes from JS: no buffer rather than undefined behaviour or bad_alloc (abort).
    if (!(bytes >= 0 && bytes <= kMaxReserveBytes)) return 0;
    buffer_.resize(static_cast<std::size_t>(bytes));
    return static_cast<double>(reinterpret_cast<std::uintptr_t>(buffer_.data()));
  }
  double feedReserved(double length) {
    std::size_t n = length >= 0 && length < 9.0e15 ? std::min(buffer_.size(), static_cast<std::size_t>(length)) : 0;
    return static_cast<double>(replay_.feed(std::string_view(buffer_.data(), n)));
  }
  double finish() { return static_cast<double>(replay_.finish()); }
  std::string summary() const { return dump(replay_.summary()); }
  std::string errors() const { return dump(replay_.errors()); }
  double memoryBytes() const { return static_cast<double>(replay_.engine().state_memory_bytes()); }

 private:
  touchpoint::rules::RuleReplay replay_;
  std::string buffer_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(touchpoint_rules) {
  emscripten::function("jsonLogicApply", &json_logic_apply);
  emscripten::class_<WasmRuleReplay>("RuleReplay")
      .constructor<>()
      .function("load", &WasmRuleReplay::load)
      .function("feed", &WasmRuleReplay::feed)
      .function("reserve", &WasmRuleReplay::reserve)
      .function("feedReserved", &WasmRuleReplay::feedReserved)
      .function("finish", &WasmRuleReplay::finish)
      .function("summary", &WasmRuleReplay::summary)
      .function("errors", &WasmRuleReplay::errors)
      .function("memoryBytes", &WasmRuleReplay::memoryBytes);
}
