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
  std::string text = read_file(std::string(TP_SHARED_DIR) + "/testdata/jsonlogic/tests.json");
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
