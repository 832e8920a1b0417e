#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "dashboard_metrics.hpp"

namespace tc = touchpoint::collector;
using nlohmann::json;

TEST_CASE("dashboard: lifecycle funnel counts, reached and conversion") {
  const json profiles = json::parse(R"([
    {"stages":{"lifecycle":"aware"}}, {"stages":{"lifecycle":"interested"}}, {"stages":{"lifecycle":"interested"}},
    {"stages":{"lifecycle":"bought"}}, {"stages":{}}, {"stages":{"lifecycle":"unknown"}}])");
  const json f = tc::lifecycle_funnel(profiles, "lifecycle", {"aware", "interested", "trying", "bought", "loyal"});
  REQUIRE(f.size() == 5);
  CHECK(f[0]["count"] == 1);
  CHECK(f[0]["reached"] == 4);
  CHECK(f[0]["conversion"].is_null());
  CHECK(f[1]["reached"] == 3);
  CHECK(f[1]["conversion"].get<double>() == doctest::Approx(0.75));
  CHECK(f[2]["reached"] == 1);
  CHECK(f[3]["count"] == 1);
  CHECK(f[4]["reached"] == 0);
  CHECK(f[4]["conversion"].get<double>() == doctest::Approx(0.0));
}

TEST_CASE("dashboard: tag and grade distributions") {
  const json d = tc::tag_and_grade_distribution(json::parse(R"([
    {"tags":["buyer","vip"],"scores":{"lead":{"value":90,"grade":"A"}}},
    {"tags":["buyer"],"scores":{"lead":{"value":1,"grade":null}}}, {"tags":[]}])"));
  CHECK(d["profiles"] == 3);
  CHECK(d["tags"]["buyer"] == 2);
  CHECK(d["tags"]["vip"] == 1);
  CHECK(d["grades"]["lead"]["A"] == 1);
  CHECK(d["grades"]["lead"]["none"] == 1);
}

TEST_CASE("dashboard: first and last touch by channel, store and staff") {
  const json t = tc::touch_breakdown(json::parse(R"([
    {"first":{"source":"wechat","medium":"social","store_id":"SH-01","staff_id":"E07"},"last":{"channel":"qr","store_id":"SH-02"}},
    {"first":null,"last":null}, {"first":{"source":"baidu"},"last":{"source":"baidu"}}])"));
  CHECK(t["first"]["channel"]["wechat/social"] == 1);
  CHECK(t["first"]["channel"]["(direct)"] == 1);
  CHECK(t["first"]["channel"]["baidu"] == 1);
  CHECK(t["first"]["store"]["SH-01"] == 1);
  CHECK(t["first"]["staff"]["E07"] == 1);
  CHECK(t["last"]["channel"]["qr"] == 1);
  CHECK(t["last"]["store"]["SH-02"] == 1);
}

TEST_CASE("dashboard: referral tree to any depth, userId referrers, cycles cut") {
  json landings = json::array();
  // A chain of 500: v1 <- v2 <- ... (deep, and iterative).
  for (int i = 2; i <= 500; ++i)
    landings.push_back({{"visitor", "v" + std::to_string(i)}, {"referrer", "v" + std::to_string(i - 1)}, {"channel", "x"}});
  // w2 was referred by a userId that belongs to visitor w1.
  landings.push_back({{"visitor", "w1"}, {"userId", "user-w"}, {"referrer", "v1"}});
  landings.push_back({{"visitor", "w2"}, {"referrer", "user-w"}});
  // c1 <-> c2 refer each other.
  landings.push_back({{"visitor", "c1"}, {"referrer", "c2"}});
  landings.push_back({{"visitor", "c2"}, {"referrer", "c1"}});
  const json tree = tc::referral_tree(landings);
  CHECK(tree["max_level"] == 499);
  std::map<std::string, json> by_id;
  for (const json& n : tree["nodes"]) by_id[n["id"]] = n;
  CHECK(by_id.size() == 504);
  CHECK(by_id["v1"]["level"] == 0);
  CHECK(by_id["v1"]["parent"].is_null());
  CHECK(by_id["v1"]["children"] == 2);
  CHECK(by_id["v500"]["level"] == 499);
  CHECK(by_id["w2"]["parent"] == "w1");
  CHECK(by_id["w2"]["level"] == 2);
  CHECK(by_id.count("c1") == 1);
  CHECK(by_id.count("c2") == 1);
  CHECK(tree["roots"] == 2);
  // Depth-first: each node comes after its parent.
  std::map<std::string, std::size_t> position;
  std::size_t i = 0;
  for (const json& n : tree["nodes"]) position[n["id"]] = i++;
  for (const json& n : tree["nodes"])
    if (!n["parent"].is_null()) CHECK(position[n["parent"]] < position[n["id"]]);
}

TEST_CASE("dashboard: the first stage definition of a rule set") {
  CHECK(tc::first_stage_definition(json::parse(R"({"stages":[{"id":"lifecycle","order":["a","b"]}]})"))["id"] ==
        "lifecycle");
  CHECK(tc::first_stage_definition(json::parse(R"({"stages":[]})")).is_null());
  CHECK(tc::first_stage_definition(json::parse("[]")).is_null());
}
