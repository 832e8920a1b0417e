// The compiled rule program (sdk/src/rules/rule_program.hpp): what the collector and the CLI
// produce and the device loads. Round trip, and every kind of damage (truncation, bit flips,
// another version, a wrong checksum, re-sealed structural corruption) gives a structured error,
// never an abort, and never replaces the set in force.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "../../sdk/src/rules/rule_program.hpp"
#include "touchpoint/rules/rule_compiler.hpp"
#include "touchpoint/rules/tag_engine.hpp"

using nlohmann::json;
using namespace touchpoint::rules;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shop_rules() { return read_text(std::string(TP_SOURCE_DIR) + "/examples/rules/shop-rules.json"); }

std::string compiled(const std::string& rules) {
  std::vector<RuleError> errors;
  std::string program = compile_rules_to_program(rules, &errors);
  for (const auto& e : errors) MESSAGE(e.path << ": " << e.message);
  REQUIRE(!program.empty());
  return program;
}

// Splits a program into its covered JSON ({"version", "program"}) and seals an edited one again
// with a correct byte count and checksum, so the structural checks are what is exercised.
json covered_json(const std::string& program) {
  const std::size_t at = program.find(",\"version\"");
  REQUIRE(at != std::string::npos);
  return json::parse("{" + program.substr(at + 1, program.size() - at - 2) + "}");
}

std::string seal(const json& covered) {
  std::string body = covered.dump();
  body = body.substr(1, body.size() - 2);
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(program_checksum(body)));
  return std::string(kProgramFormatPrefix) + "1\",\"checksum\":\"" + sum + "\",\"bytes\":" + std::to_string(body.size()) +
         "," + body + "}";
}

std::vector<RuleError> decode_errors(const std::string& text) {
  std::vector<RuleError> errors;
  auto rs = decode_program(text, &errors);
  CHECK(rs == nullptr);
  CHECK(!errors.empty());
  return errors;
}

json track(const std::string& name, json properties = json::object()) {
  return {{"type", "track"}, {"event", name}, {"properties", std::move(properties)}};
}

}  // namespace

TEST_CASE("program: a compiled rule set round-trips and evaluates exactly like its source") {
  const std::string source = shop_rules();
  const std::string program = compiled(source);
  CHECK(looks_like_program(program));
  std::vector<RuleError> errors;
  auto rs = decode_program(program, &errors);
  REQUIRE(rs != nullptr);
  CHECK(errors.empty());
  CHECK(encode_program(*rs) == program);  // decode(encode(x)) encodes to the same bytes

  TagEngine from_source, from_program;
  REQUIRE(from_source.load(source).empty());
  REQUIRE(from_program.load(program).empty());
  CHECK(from_program.version() == from_source.version());
  const json events[] = {track("product_view", {{"sku", "A-1001"}, {"category", "health"}, {"price", 129.5}}),
                         track("product_view", {{"sku", "A-1002"}, {"category", "health"}, {"price", 59}}),
                         track("add_to_cart", {{"sku", "A-1001"}}),
                         track("product_view", {{"sku", "A-1003"}, {"category", "health"}, {"price", 19.9}}),
                         track("order_completed", {{"revenue", 129.5}, {"products", json::array({{{"sku", "A-1001"}}})}})};
  std::int64_t t = 1700000000000;
  for (const auto& e : events) {
    CHECK(from_program.process(e, t).dump() == from_source.process(e, t).dump());
    t += 60000;
  }
  CHECK(from_program.advance(t + 86400000).dump() == from_source.advance(t + 86400000).dump());
  CHECK(from_program.summary(t).dump() == from_source.summary(t).dump());
  // State carries over between the two forms of the same rules (fingerprints are kept).
  TagEngine restored;
  REQUIRE(restored.load(program).empty());
  std::string why;
  REQUIRE(restored.restore(from_source.snapshot(), &why));
  CHECK(restored.tags() == from_source.tags());
}

TEST_CASE("program: every truncation is a structured error") {
  const std::string program = compiled(shop_rules());
  const std::size_t step = program.size() / 300 + 1;
  for (std::size_t n = 0; n < program.size(); n += step) decode_errors(program.substr(0, n));
  auto errors = decode_errors(program.substr(0, program.size() - 1));
  CHECK(errors[0].message.find("truncated") != std::string::npos);
  decode_errors(program + " ");
}

TEST_CASE("program: every bit flip is detected") {
  const std::string program = compiled(shop_rules());
  const std::size_t step = program.size() / 400 + 1;
  std::size_t checksum_caught = 0;
  for (std::size_t i = 0; i < program.size(); i += step) {
    std::string damaged = program;
    damaged[i] = static_cast<char>(damaged[i] ^ (1 << (i % 8)));
    auto errors = decode_errors(damaged);
    if (errors[0].message.find("checksum") != std::string::npos) ++checksum_caught;
  }
  CHECK(checksum_caught > 300);  // the body is almost all of it
}

TEST_CASE("program: another format version or a wrong checksum is refused with a reason") {
  const std::string program = compiled(shop_rules());
  std::string v2 = program;
  v2.replace(v2.find("program/1") + 8, 1, "2");
  CHECK(decode_errors(v2)[0].message.find("unsupported program format touchpoint-program/2") != std::string::npos);
  std::string bad_sum = program;
  const std::size_t at = bad_sum.find("\"checksum\":\"") + 12;
  bad_sum[at] = bad_sum[at] == '0' ? '1' : '0';
  CHECK(decode_errors(bad_sum)[0].message.find("checksum mismatch") != std::string::npos);
  CHECK(decode_errors("{\"format\":\"touchpoint-rules/1\"}")[0].message.find("not a compiled rule program") != std::string::npos);
  CHECK(decode_errors("")[0].message.find("not a compiled rule program") != std::string::npos);
  CHECK(decode_errors(std::string(kProgramFormatPrefix) + "1\",\"checksum\":\"zz")[0].message.find("malformed") != std::string::npos);
}

TEST_CASE("program: re-sealed structural corruption is caught by the loader, with its path") {
  const std::string program = compiled(shop_rules());
  json good = covered_json(program);
  std::vector<RuleError> none;
  REQUIRE(decode_program(seal(good), &none) != nullptr);  // sealing alone changes nothing

  auto expect = [&](const char* what, auto mutate, const std::string& path_part) {
    json j = good;
    mutate(j);
    auto errors = decode_errors(seal(j));
    INFO(std::string(what));
    REQUIRE(!errors.empty());
    INFO(errors[0].path << ": " << errors[0].message);
    CHECK(errors[0].path.find(path_part) != std::string::npos);
  };
  constexpr std::size_t kFields = 5;  // [op, flags, child count, slot, path]
  const std::size_t node_count = good["program"]["logic"]["n"].size() / kFields;
  REQUIRE(node_count > 2);
  expect("unknown op", [](json& j) { j["program"]["logic"]["n"][0] = 250; }, "/program/logic/n/0");
  expect("child pointing at itself (a cycle)", [](json& j) { j["program"]["logic"]["c"][0] = 0; }, "/program/logic/n/");
  expect("child pointing past the start", [](json& j) { j["program"]["logic"]["c"][0] = 1u << 20; }, "/program/logic/c/0");
  expect("child count past the children", [](json& j) { j["program"]["logic"]["n"][2] = 1u << 30; }, "/program/logic/n/0");
  expect("children left over", [](json& j) { j["program"]["logic"]["c"].push_back(1); }, "/program/logic/c");
  expect("slot out of range", [&](json& j) {
    auto& n = j["program"]["logic"]["n"];
    for (std::size_t i = 0; i < node_count; ++i)
      if (n[i * kFields + 3].get<int>() >= 0) { n[i * kFields + 3] = 100000; return; }
  }, "/program/logic/n/");
  expect("fused leaf with a mistyped literal", [&](json& j) {
    auto& n = j["program"]["logic"]["n"];
    for (std::size_t i = 0; i < node_count; ++i)
      if (n[i * kFields].get<int>() >= static_cast<int>(Op::kSlotStrictEqString)) {
        // a number literal where a string must be, or the other way round
        const bool numeric = n[i * kFields].get<int>() >= static_cast<int>(Op::kSlotGtNumber) &&
                             n[i * kFields].get<int>() <= static_cast<int>(Op::kSlotLeNumber);
        n[i * kFields] = static_cast<int>(numeric ? Op::kSlotStrictEqString : Op::kSlotGtNumber);
        return;
      }
    FAIL("no fused leaf in the shop rules");
  }, "/program/logic/n/");
  expect("literal missing", [](json& j) { j["program"]["logic"]["l"].erase(j["program"]["logic"]["l"].size() - 1); }, "/program/logic/n/");
  expect("predicate root out of range", [](json& j) { j["program"]["predicates"][0][0] = 1u << 31; }, "/program/predicates/0/0");
  expect("tag predicate out of range", [](json& j) { j["program"]["tags"][0][1] = 99999; }, "/program/tags/0/1");
  expect("trait kind out of range", [](json& j) { j["program"]["traits"][0][1] = 77; }, "/program/traits/0/1");
  expect("zero half-life", [](json& j) { j["program"]["scores"][0][1] = 0; }, "/program/scores/0");
  expect("stage rule past the order", [](json& j) { j["program"]["stages"][0][2][0][0] = 99; }, "/program/stages/0/2/0");
  expect("slot of another kind", [](json& j) { j["program"]["event_name_slot"] = j["program"]["slots"].size() - 1; }, "/program/event_name_slot");
  expect("missing section", [](json& j) { j["program"].erase("tags"); }, "/program/tags");
  expect("wrong type", [](json& j) { j["program"]["slots"] = "x"; }, "/program/slots");
  expect("deep literal", [](json& j) {
    json deep = 1;
    for (int i = 0; i < 1000; ++i) deep = json::array({deep});
    j["program"]["logic"]["l"][0] = deep;
  }, "/program/logic/l/0");
  // A chain deeper than the evaluator may recurse: depth is bounded, not just acyclicity.
  json chain = good;
  for (int i = 0; i < 400; ++i) {
    for (json v : {json(static_cast<int>(Op::kNot)), json(0), json(1), json(-1), json(-1)}) chain["program"]["logic"]["n"].push_back(v);
    chain["program"]["logic"]["c"].push_back(1);  // the node just before
  }
  CHECK(decode_errors(seal(chain))[0].message.find("nested deeper") != std::string::npos);
}

TEST_CASE("program: a set rejected where it was compiled carries its errors to the device") {
  json bad = json::parse(shop_rules());
  bad["version"] = "broken-1";
  bad["tags"][0]["when"] = {{"no_such_operator", json::array({1})}};
  std::vector<RuleError> compile_errors;
  CHECK(compile_rules_to_program(bad.dump(), &compile_errors).empty());
  REQUIRE(!compile_errors.empty());
  const std::string envelope = rejected_program("broken-1", compile_errors);
  CHECK(covered_json(envelope)["version"] == "broken-1");
  auto errors = decode_errors(envelope);
  CHECK(errors[0].path == "/tags/0/when/no_such_operator");
  CHECK(errors[0].message.find("unknown operator") != std::string::npos);
}

TEST_CASE("program: a program the engine cannot load leaves the set in force") {
  const std::string program = compiled(shop_rules());
  TagEngine engine;
  REQUIRE(engine.load(program).empty());
  const std::string version = engine.version();
  auto errors = engine.load(program.substr(0, program.size() / 2));
  CHECK(!errors.empty());
  CHECK(engine.version() == version);
  CHECK(engine.has_rules());
}
