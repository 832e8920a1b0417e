// TagEngine::load over arbitrary rule set JSON; a set that loads then processes events, advances
// time and makes a snapshot/restore round trip.
#include "fuzz_common.hpp"

#include "touchpoint/rules/tag_engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using touchpoint::rules::TagEngine;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  TagEngine engine;
  if (!engine.load(text).empty()) return 0;
  engine.set_user_traits({{"plan", "pro"}, {"age", 30}});
  const char* events[] = {
      R"({"type":"track","event":"view","properties":{"price":12.5,"cat":"a","hot":true,"tags":["x"]}})",
      R"({"type":"page","name":"home","properties":{"path":"/","n":null}})",
      R"({"type":"track","event":"buy","properties":{"price":"9","items":[{"sku":"A"}],"deep":{"a":{"b":1}}}})",
  };
  std::int64_t t = 1000;
  for (const char* ev : events) {
    nlohmann::json changes;
    std::string error;
    (void)engine.process_text(ev, t, &changes, &error);
    (void)engine.process(nlohmann::json::parse(ev, nullptr, false), t + 1);
    t += 3600 * 1000;
    (void)engine.advance(t);
  }
  const std::string snap = engine.snapshot();
  TagEngine other;
  std::string error;
  (void)other.restore(snap, &error);
  (void)other.load(text);
  (void)other.tags();
  (void)other.traits();
  (void)other.scores(t);
  return 0;
}
