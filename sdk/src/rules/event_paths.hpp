// The event paths a rule set reads (event.event, event.properties.price, ...), as a trie of keys
// from the event root to slots. Events are never materialised in full for the rules: a parsed
// event is walked along these paths only, and event text is scanned once, decoding just the
// values on these paths and skipping the rest (after checking it is well-formed JSON).
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logic_program.hpp"
#include "value.hpp"

namespace touchpoint::rules {

// Event text nested deeper than this is rejected by the scanner (nlohmann accepts any depth; an
// analytics event has 3-4 levels).
constexpr std::size_t kMaxEventTextDepth = 128;

// Decoded strings and captured sub-objects of the event being processed.
struct EventTextStorage {
  std::deque<std::string> strings;
  std::deque<nlohmann::json> objects;
  void clear() {
    if (!strings.empty()) strings.clear();
    if (!objects.empty()) objects.clear();
  }
};

class EventPaths {
 public:
  EventPaths();
  // Registers the path below the event root (empty = the whole event) read through `slot`.
  void add(const std::vector<std::string>& segments, std::uint32_t slot);
  // Every slot this trie fills (to reset them between events).
  const std::vector<std::uint32_t>& slots() const { return slots_; }

  // Sets the slots of the paths present in `event` (others are left as they are).
  void extract(const nlohmann::json& event, Value* slots) const;
  // Scans event text; false (with *error) when it is not a well-formed JSON object.
  bool extract_text(std::string_view text, Value* slots, EventTextStorage* storage, std::string* error) const;

 private:
  friend class EventTextScanner;
  struct TrieNode {
    std::vector<std::pair<std::string, std::uint32_t>> children;
    std::uint32_t slot = kNoIndex;
  };
  std::uint32_t child(std::uint32_t node, std::string_view key) const;
  void fill_from_json(std::uint32_t node, const nlohmann::json& value, Value* slots) const;

  std::vector<TrieNode> nodes_;  // nodes_[0] is the event root
  std::vector<std::uint32_t> slots_;
};

}  // namespace touchpoint::rules
