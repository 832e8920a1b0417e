// JsonLogic: the official conformance suite plus the corners of JavaScript semantics it skips.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "touchpoint/rules/json_logic.hpp"

using nlohmann::json;
using touchpoint::rules::JsonLogic;
using touchpoint::rules::json_logic_apply;

namespace {

json apply(const char* rule, const char* data = "null") {
  return json_logic_apply(json::parse(rule), json::parse(data));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("json logic: the official conformance suite passes in full") {
  std::string text = read_file(std::string(TP_TEST_DATA_DIR) + "/jsonlogic/tests.json");
  json suite = json::parse(text, nullptr, false);
  REQUIRE(suite.is_array());
  int cases = 0, passed = 0;
  for (const auto& entry : suite) {
    if (!entry.is_array()) continue;  // comment strings
    ++cases;
    JsonLogic logic(entry[0]);
    json got = logic.apply(entry[1]);
    if (logic.ok() && got == entry[2]) {
      ++passed;
    } else {
      MESSAGE("rule " << entry[0].dump() << " data " << entry[1].dump() << " expected " << entry[2].dump()
                      << " got " << got.dump());
    }
  }
  CHECK(cases == 278);
  CHECK(passed == cases);
}

TEST_CASE("json logic: loose and strict equality follow JavaScript") {
  CHECK(apply(R"({"==": [null, {"var": "missing"}]})", "{}") == true);
  CHECK(apply(R"({"===": [null, {"var": "missing"}]})", "{}") == true);  // var gives null, not undefined
  CHECK(apply(R"({"==": [0, ""]})") == true);
  CHECK(apply(R"({"==": [0, null]})") == false);
  CHECK(apply(R"({"==": [false, "0"]})") == true);
  CHECK(apply(R"({"==": ["1", [1]]})") == true);
  CHECK(apply(R"({"==": [[], ""]})") == true);
  CHECK(apply(R"({"===": [1, 1.0]})") == true);
  CHECK(apply(R"({"===": [[1], [1]]})") == false);  // different arrays
  CHECK(apply(R"({"!=": ["abc", "abc"]})") == false);
  CHECK(apply(R"({"==": [" 12 ", 12]})") == true);
  CHECK(apply(R"({"==": ["0x10", 16]})") == true);
  CHECK(apply(R"({"==": ["abc", {"/": [0, 0]}]})") == false);  // NaN equals nothing
}

TEST_CASE("json logic: relational comparisons coerce like JavaScript") {
  CHECK(apply(R"({"<": ["a", "b"]})") == true);
  CHECK(apply(R"({"<": ["10", "9"]})") == true);  // two strings compare as strings
  CHECK(apply(R"({"<": [10, "9"]})") == false);   // otherwise as numbers
  CHECK(apply(R"({">": [null, -1]})") == true);
  CHECK(apply(R"({">=": [null, 0]})") == true);
  CHECK(apply(R"({">": ["abc", 1]})") == false);
  CHECK(apply(R"({"<=": ["abc", 1]})") == false);  // NaN: every comparison is false
  CHECK(apply(R"({"<": [1, {"var": "x"}, 3]})", R"({"x": 2})") == true);
  CHECK(apply(R"({"<=": [1, 1, 1]})") == true);
  CHECK(apply(R"({"<": [[2], 3]})") == true);
}

TEST_CASE("json logic: arithmetic and number formatting") {
  CHECK(apply(R"({"+": ["3.5abc", 1]})") == 4.5);  // parseFloat
  CHECK(apply(R"({"-": ["3.5abc", 1]})").is_null());  // ToNumber: NaN, written as null
  CHECK(apply(R"({"+": [null, 1]})").is_null());  // parseFloat(null) is NaN
  CHECK(apply(R"({"-": [null, 1]})") == -1);  // ToNumber(null) is 0
  CHECK(apply(R"({"*": ["2"]})") == "2");  // reduce without initial value: returned as is
  CHECK(apply(R"({"/": [1, 0]})").is_null());  // Infinity
  CHECK(apply(R"({"%": [-5, 3]})") == -2);
  CHECK(apply(R"({"max": ["5", 2]})") == 5);
  CHECK(apply(R"({"max": [1, "x"]})").is_null());
  CHECK(apply(R"({"min": []})").is_null());  // Infinity
  CHECK(apply(R"({"cat": [1.5, "|", 0.1, "|", 1e21, "|", 1e-7, "|", 100, "|", 123456789012345680000]})") ==
        "1.5|0.1|1e+21|1e-7|100|123456789012345680000");
  CHECK(apply(R"({"cat": [{"+": [0.1, 0.2]}]})") == "0.30000000000000004");
  CHECK(apply(R"({"cat": [null, true, [1, [2, null]], {"var": ""}]})", R"({"a": 1})") == "true1,2,[object Object]");
  CHECK(apply(R"({"cat": [-0.0000012, " ", 0.000001]})") == "-0.0000012 0.000001");
}

TEST_CASE("json logic: strings, substr on UTF-16 units, in, starts_with and ends_with") {
  CHECK(apply(R"({"substr": ["héllo😀x", 5, 2]})") == "😀");
  CHECK(apply(R"({"substr": ["héllo", -3]})") == "llo");
  CHECK(apply(R"({"substr": ["abc", 1, "-1"]})") == "");  // number + string concatenates in JS
  CHECK(apply(R"({"in": ["ell", "hello"]})") == true);
  CHECK(apply(R"({"in": [1, "a1b"]})") == true);
  CHECK(apply(R"({"in": ["", ""]})") == false);
  CHECK(apply(R"({"in": [1, 12]})") == false);
  CHECK(apply(R"({"in": [1, ["1", 2]]})") == false);  // strict indexOf
  CHECK(apply(R"({"starts_with": ["/blog/health/x", "/blog/"]})") == true);
  CHECK(apply(R"({"starts_with": ["/b", "/blog/"]})") == false);
  CHECK(apply(R"({"starts_with": [12, "1"]})") == false);
  CHECK(apply(R"({"ends_with": ["report.pdf", ".pdf"]})") == true);
  CHECK(apply(R"({"ends_with": [null, ""]})") == false);
}

TEST_CASE("json logic: var paths, defaults, missing and arrays") {
  CHECK(apply(R"({"var": "a.0.b"})", R"({"a": [{"b": 7}]})") == 7);
  CHECK(apply(R"({"var": "a.01"})", R"({"a": [1, 2]})").is_null());  // not a canonical index
  CHECK(apply(R"({"var": ["a", 5]})", R"({"a": null})").is_null());  // present null is not "missing"
  CHECK(apply(R"({"var": ["a.b", 5]})", R"({"a": null})") == 5);
  CHECK(apply(R"({"missing": ["a", "b"]})", R"({"a": "", "b": 0})") == json::parse(R"(["a"])"));
  CHECK(apply(R"({"missing_some": [1, ["a", "b"]]})", R"({"b": 1})") == json::array());
  CHECK(apply(R"({"merge": [[1, [2]], 3, [[4]]]})") == json::parse("[1,[2],3,[4]]"));
  CHECK(apply(R"({"reduce": [[1, 2], {"cat": [{"var": "accumulator"}, {"var": "current"}]}]})") == "12");  // cat writes null as ""
  CHECK(apply(R"({"map": [{"var": "xs"}, {"var": "n"}]})", R"({"xs": [{"n": 1}, {"m": 2}]})") ==
        json::parse("[1,null]"));
  CHECK(apply(R"({"filter": [[1, 0, "", "a", []], {"var": ""}]})") == json::parse(R"([1, "a"])"));
  CHECK(apply(R"({"all": [[], true]})") == false);
  CHECK(apply(R"({"none": [5, true]})") == true);  // not an array: treated as empty
  CHECK(apply(R"({"log": [3]})") == 3);
  CHECK(apply(R"({"if": []})").is_null());
  CHECK(apply(R"({"and": []})").is_null());  // undefined
  CHECK(apply(R"({"a": 1, "b": 2})") == json::parse(R"({"a": 1, "b": 2})"));  // not one key: a literal
}

TEST_CASE("json logic: invalid rules are reported with JSON pointers, never thrown") {
  std::vector<touchpoint::rules::RuleError> errors;
  CHECK(json_logic_apply(json::parse(R"({"and": [true, {"foo": [1]}]})"), json::object(), &errors).is_null());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "/and/1/foo");
  CHECK(errors[0].message == "unknown operator \"foo\"");
  errors.clear();
  json_logic_apply(json::parse(R"({"map": [[1]]})"), json::object(), &errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "/map");
  errors.clear();
  json_logic_apply(json::parse(R"({"/": [{"var": ["a", 1, 2]}, 1]})"), json::object(), &errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "/~1/0/var");
  // Nesting past the limit is an error, not a stack overflow.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"!": )";
  deep += "true";
  for (int i = 0; i < 5000; ++i) deep += "}";
  JsonLogic logic(json::parse(deep));
  CHECK_FALSE(logic.ok());
  CHECK(logic.errors()[0].message.find("nested deeper") != std::string::npos);
}

TEST_CASE("json logic: compile once, apply to many data objects") {
  JsonLogic rule(json::parse(R"({"and": [{">=": [{"var": "age"}, 18]}, {"in": [{"var": "country"}, ["FR", "DE"]]}]})"));
  REQUIRE(rule.ok());
  CHECK(rule.test(json::parse(R"({"age": 30, "country": "FR"})")));
  CHECK_FALSE(rule.test(json::parse(R"({"age": 17, "country": "FR"})")));
  CHECK_FALSE(rule.test(json::parse(R"({"age": 30})")));
  CHECK(rule.apply(json::parse(R"({"age": "40", "country": "DE"})")) == true);
}
