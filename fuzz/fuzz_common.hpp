// Shared pieces of the libFuzzer targets (fuzz/README.md). Built with -fno-exceptions like the
// wasm module, so a throwing nlohmann call aborts here exactly as it would abort the page's core.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "touchpoint/engine.hpp"
#include "touchpoint/json_access.hpp"

namespace touchpoint::fuzz {

// Consumes the fuzzer's bytes front to back; past the end it yields zeros.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  std::string_view rest() { std::string_view r(reinterpret_cast<const char*>(data_) + pos_, size_ - pos_); pos_ = size_; return r; }
  // The next chunk up to a 0xFF separator (or the end).
  std::string_view chunk() {
    std::size_t start = pos_;
    while (pos_ < size_ && data_[pos_] != 0xFF) ++pos_;
    std::string_view r(reinterpret_cast<const char*>(data_) + start, pos_ - start);
    if (pos_ < size_) ++pos_;
    return r;
  }
  bool done() const { return pos_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A small rule set touching every section, so events run through traits, scores, tags, stages.
inline const char* kRules = R"({"format": "touchpoint-rules/1", "version": "fuzz",
  "traits": [{"id": "views", "kind": "count", "window": "1h", "where": {"===": [{"var": "event.event"}, "view"]}},
             {"id": "spent", "kind": "sum", "property": "event.properties.price"},
             {"id": "fav", "kind": "most_frequent", "property": "event.properties.cat"}],
  "scores": [{"id": "heat", "half_life": "1d", "rules": [{"when": {"var": "event.properties.hot"}, "points": 2}],
              "grades": [{"grade": "hot", "min": 4}, {"grade": "warm", "min": 1}]}],
  "tags": [{"id": "fan", "when": {">=": [{"var": "traits.views"}, 2]}},
           {"id": "rich", "when": {">": [{"var": "traits.spent"}, 100]}, "sticky": true},
           {"id": "pro", "when": {"==": [{"var": "user.plan"}, "pro"]}}],
  "stages": [{"id": "life", "order": ["new", "engaged"], "rules": [{"stage": "engaged", "when": {"var": "tags.fan"}}]}]})";

// Config variants chosen by a byte: compression, rules, consent, small batches (bit 16: settle()).
inline Engine make_engine(std::uint8_t flags) {
  EngineConfig c;
  c.write_key = "wk_fuzz";
  c.seed = "fuzz-seed";
  c.compress = flags & 1;
  c.queue.flush_at = (flags & 2) ? 1 : 20;
  if (flags & 4) c.consent = Consent::kPending;
  Engine e(std::move(c));
  if (flags & 8) e.load_rules(kRules);
  return e;
}

// Exercises the outputs and state after the input under test: every entry point must keep working.
inline void settle(Engine& e, std::int64_t now) {
  (void)e.tick(now).to_json();
  Output f = e.flush(now, (now & 1) != 0, 64 * 1024);
  (void)f.to_json();
  for (const auto& s : f.send) {
    const auto* id = json_access::find(s, "id");
    if (id && id->is_number_unsigned()) (void)e.batch_body(id->get<std::uint64_t>());
  }
  (void)e.stats().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  (void)json_access::dump(e.visit_summary());
  Output share;
  (void)e.share_url("https://shop.example/p?x=1", "wechat", now, share);
  const std::string snap = e.snapshot();
  Engine again = make_engine(0);
  (void)again.restore(snap, now).to_json();
}

}  // namespace touchpoint::fuzz
