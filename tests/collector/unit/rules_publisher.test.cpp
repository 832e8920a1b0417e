#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "rules_publisher.hpp"

namespace tc = touchpoint::collector;
using nlohmann::json;

namespace {
const char* kGood = R"({"format":"touchpoint-rules/1","version":"v1","traits":[],"scores":[],
  "tags":[{"id":"buyer","when":{"==":[{"var":"event.event"},"purchase"]},"sticky":true}]})";
}

TEST_CASE("rules publisher: validation gives paths, publishing keeps a history") {
  CHECK(tc::RulesPublisher::validate(kGood).empty());
  CHECK(tc::RulesPublisher::validate("{nope")[0]["message"] == "not valid JSON");
  CHECK(tc::RulesPublisher::validate("[]")[0]["path"] == "");
  json bad = json::parse(kGood);
  bad["tags"][0]["when"] = {{"no_such_op", json::array({1})}};
  const json errors = tc::RulesPublisher::validate(bad.dump());
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0]["path"].get<std::string>().rfind("/tags/0/when", 0) == 0);

  char tmpl[] = "/tmp/tp-publisher-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/rules.json";
  tc::RulesPublisher publisher(path);
  const json refused = publisher.publish(bad.dump(), "x", 1);
  CHECK(refused["ok"] == false);
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(publisher.history().empty());

  CHECK(publisher.publish(kGood, "first", 1000)["entry"]["id"] == 1);
  json v2 = json::parse(kGood);
  v2["version"] = "v2";
  CHECK(publisher.publish(v2.dump(), "second", 2000)["entry"]["id"] == 2);
  const json history = publisher.history();
  REQUIRE(history.size() == 2);
  CHECK(history[0]["version"] == "v2");
  CHECK(history[1]["note"] == "first");
  CHECK(publisher.history_entry(1).value() == kGood);
  CHECK_FALSE(publisher.history_entry(7));
  std::ifstream in(path);
  CHECK(json::parse(in)["version"] == "v2");
  std::filesystem::remove_all(dir);
  CHECK_FALSE(tc::RulesPublisher("").available());
}
