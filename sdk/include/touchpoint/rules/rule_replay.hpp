// Replays NDJSON events (one Segment-shaped event per line, timed by its "timestamp") through a
// TagEngine, accepting the input in arbitrary chunks. Shared by the `touchpoint-rules replay` CLI
// and the wasm RuleReplay binding.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "touchpoint/rules/tag_engine.hpp"

namespace touchpoint::rules {

// Rejected lines beyond this are counted but their messages not kept.
constexpr std::size_t kMaxReplayErrorsKept = 100;
// A line longer than this is rejected without buffering it whole (events are a few hundred bytes;
// Segment's API caps one at 32 KB).
constexpr std::size_t kMaxReplayLineBytes = 1024 * 1024;

class RuleReplay {
 public:
  // Loads the rule set (see TagEngine::load) and clears the replay state.
  std::vector<RuleError> load(std::string_view rules_json);
  // Processes every complete line in `chunk` (a partial last line waits for the next chunk).
  // Returns the number of events processed from this chunk.
  std::size_t feed(std::string_view chunk);
  // Processes a last line that had no newline.
  std::size_t finish();
  // TagEngine::summary at the time of the last event, plus "rejected_lines" when some were.
  nlohmann::json summary() const;

  std::uint64_t lines() const { return line_number_; }
  std::uint64_t rejected() const { return rejected_; }
  const std::vector<std::string>& errors() const { return errors_; }  // "line N: message"
  TagEngine& engine() { return engine_; }
  const TagEngine& engine() const { return engine_; }

 private:
  std::size_t process_line(std::string_view line);

  TagEngine engine_;
  std::string partial_;
  bool skipping_long_line_ = false;
  std::uint64_t line_number_ = 0;
  std::uint64_t rejected_ = 0;
  std::vector<std::string> errors_;
};

}  // namespace touchpoint::rules
