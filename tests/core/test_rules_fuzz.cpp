// Fuzz-style robustness: random and damaged rule sets, events and snapshots must be rejected or
// processed, never crash (run under -fsanitize=address,undefined during development).
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "touchpoint/rules/json_logic.hpp"
#include "touchpoint/rules/tag_engine.hpp"

using nlohmann::json;

namespace {

class RandomRules {
 public:
  explicit RandomRules(std::uint64_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

  json scalar() {
    switch (below(7)) {
      case 0: return nullptr;
      case 1: return chance(0.5);
      case 2: return static_cast<int>(below(200)) - 50;
      case 3: return std::uniform_real_distribution<double>(-1e3, 1e3)(rng_);
      case 4: return pick(strings_);
      case 5: return json::array({pick(strings_), static_cast<int>(below(5))});
      default: return pick(names_);
    }
  }

  json path() {
    if (chance(0.02)) return "bogus.path";
    if (chance(0.02)) return "stage.st";
    return pick(paths_);
  }

  json logic(int depth) {
    if (depth <= 0 || chance(0.25)) return chance(0.5) ? scalar() : json{{"var", path()}};
    const std::string op = chance(0.01) ? std::string("nope") : pick(ops_);
    json args = json::array();
    std::size_t n = below(4);
    // Mostly well-formed: the arities the validator insists on.
    if (op == "map" || op == "filter" || op == "all" || op == "none" || op == "some" || op == "missing_some") n = 2;
    if (op == "reduce") n = 3;
    if (op == "var") n = 1 + below(2);
    for (std::size_t i = 0; i < n; ++i) args.push_back(logic(depth - 1));
    if (op == "var") return json{{"var", chance(0.7) ? json(path()) : args}};
    if (chance(0.03)) return json{{op, logic(depth - 1)}};  // unary form
    return json{{op, args}};
  }

  json rule_set() {
    json rs = {{"format", chance(0.99) ? "touchpoint-rules/1" : "x"}, {"version", "fuzz"}};
    json traits = json::array(), scores = json::array(), tags = json::array(), stages = json::array();
    for (std::size_t i = 0, n = 1 + below(3); i < n; ++i) {
      json t = {{"id", "t" + std::to_string(i)}, {"kind", chance(0.02) ? std::string("median") : pick(kinds_)}};
      if (t["kind"] != "count" || chance(0.05)) t["property"] = chance(0.98) ? json(pick(property_paths_)) : json(3);
      if (chance(0.7)) t["where"] = logic(3);
      if (chance(0.6)) t["window"] = chance(0.03) ? json("x") : pick(windows_);
      traits.push_back(t);
    }
    for (std::size_t i = 0, n = 1 + below(2); i < n; ++i) {
      json rules = json::array();
      for (std::size_t k = 0, m = below(4); k < m; ++k)
        rules.push_back({{"when", logic(3)}, {"points", chance(0.97) ? json(static_cast<int>(below(40)) - 10) : scalar()}});
      json s = {{"id", "s" + std::to_string(i)}, {"half_life", chance(0.03) ? json(-5) : pick(windows_)}, {"rules", rules}};
      if (chance(0.7)) s["grades"] = json::parse(R"([{"grade": "A", "min": 10}, {"grade": "B", "min": 2}])");
      scores.push_back(s);
    }
    for (std::size_t i = 0, n = 2 + below(4); i < n; ++i)
      tags.push_back({{"id", "g" + std::to_string(i)}, {"when", logic(4)}, {"sticky", chance(0.5)}});
    if (chance(0.5)) {
      json rules = json::array();
      for (std::size_t k = 0, m = below(4); k < m; ++k)
        rules.push_back({{"stage", chance(0.98) ? pick(stage_names_) : "zz"}, {"when", logic(3)}});
      stages.push_back({{"id", "st"}, {"order", json::array({"a", "b", "c"})}, {"rules", rules}});
    }
    rs["traits"] = traits;
    rs["scores"] = scores;
    rs["tags"] = tags;
    rs["stages"] = stages;
    if (chance(0.01)) rs["unexpected"] = 1;
    return rs;
  }

  json event() {
    json props = json::object();
    for (std::size_t i = 0, n = below(5); i < n; ++i) props[pick(prop_names_)] = chance(0.8) ? scalar() : logic(2);
    json e = {{"type", "track"}, {"event", pick(names_)}, {"properties", props}};
    if (chance(0.1)) e["event"] = scalar();
    return e;
  }

  // Damages text: truncation, a deleted span, or random bytes.
  std::string damage(std::string text) {
    if (text.empty()) return text;
    switch (below(4)) {
      case 0: return text.substr(0, below(text.size()));
      case 1: {
        std::size_t at = below(text.size());
        return text.erase(at, below(8) + 1);
      }
      case 2: {
        std::size_t at = below(text.size());
        text[at] = static_cast<char>(below(256));
        return text;
      }
      default: return text;
    }
  }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> ops_ = {"var", "missing", "missing_some", "if", "?:", "==", "===", "!=", "!==", "!", "!!",
                                   "or", "and", ">", ">=", "<", "<=", "max", "min", "+", "-", "*", "/", "%", "map",
                                   "filter", "reduce", "all", "none", "some", "merge", "in", "cat", "substr", "log",
                                   "starts_with", "ends_with"};
  std::vector<std::string> strings_ = {"", "a", "view", "buy", "/blog/", "0", "1e3", " 7 ", "é😀", "true"};
  std::vector<std::string> names_ = {"view", "buy", "signup", "x"};
  std::vector<std::string> prop_names_ = {"price", "category", "path", "items", "n"};
  std::vector<std::string> paths_ = {"event.event",   "event.properties.price", "event.properties.category",
                                     "event.properties.items.0", "traits.t0", "scores.s0", "grades.s0",
                                     "tags.g0",       "tags.g1", "user.plan", "", "traits", "event", "event.properties"};
  std::vector<std::string> property_paths_ = {"event.properties.price", "event.properties.category", "event.event",
                                              "user.plan", "traits.t0"};
  std::vector<std::string> kinds_ = {"count", "sum", "avg", "min", "max", "most_frequent", "first", "last",
                                     "unique_count", "unique_list"};
  std::vector<json> windows_ = {"90s", "30m", "12h", "7d", 1000, 50};
  std::vector<std::string> stage_names_ = {"a", "b", "c"};
};

}  // namespace

TEST_CASE("rules fuzz: random and damaged rule sets, events and snapshots never crash") {
  RandomRules random(20241122);
  int loaded = 0, rejected = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string text = random.rule_set().dump();
    if (random.chance(0.15)) text = random.damage(text);
    touchpoint::rules::TagEngine engine;
    auto errors = engine.load(text);
    if (!errors.empty()) {
      ++rejected;
      for (const auto& e : errors) CHECK_FALSE(e.message.empty());
      continue;
    }
    ++loaded;
    std::int64_t t = static_cast<std::int64_t>(random.below(1000));
    for (int k = 0; k < 12; ++k) {
      t += static_cast<std::int64_t>(random.below(5000));
      json event = random.event();
      if (random.chance(0.5)) {
        json changes = engine.process(event, t);
        CHECK(changes.is_object());
      } else {
        std::string line = event.dump();
        if (random.chance(0.3)) line = random.damage(line);
        std::string error;
        engine.process_text(line, t, nullptr, &error);
      }
      if (random.chance(0.2)) engine.set_user_traits({{"plan", random.scalar()}});
      if (auto next = engine.next_change_at()) {
        CHECK(*next >= *engine.current_time());
        engine.advance(*next);
      }
    }
    json summary = engine.summary(t);
    CHECK(summary["events"].is_number());
    std::string snapshot = engine.snapshot();
    touchpoint::rules::TagEngine other;
    REQUIRE(other.load(text).empty());
    std::string error;
    CHECK(other.restore(snapshot, &error));
    std::string damaged = random.damage(snapshot);
    if (!other.restore(damaged, &error)) CHECK(other.events_processed() == 0);
  }
  MESSAGE(loaded << " rule sets loaded, " << rejected << " rejected");
  CHECK(loaded > 100);
  CHECK(rejected > 100);
}

TEST_CASE("rules fuzz: random JsonLogic over random data") {
  RandomRules random(7);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    json rule = random.logic(5);
    json data = {{"event", random.event()}, {"a", random.scalar()}, {"items", json::array({random.scalar(), random.scalar()})}};
    touchpoint::rules::JsonLogic logic(rule);
    json result = logic.apply(data);
    if (!logic.ok()) CHECK(result.is_null());
    std::string text = rule.dump();
    auto damaged = json::parse(random.damage(text), nullptr, false);
    if (!damaged.is_discarded()) touchpoint::rules::JsonLogic(damaged).apply(data);
  }
}
