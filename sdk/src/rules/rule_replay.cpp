#include "touchpoint/rules/rule_replay.hpp"

namespace touchpoint::rules {

std::vector<RuleError> RuleReplay::load(std::string_view rules_json) {
  auto errors = engine_.load(rules_json);
  if (errors.empty()) {
    engine_.clear_state();
    partial_.clear();
    skipping_long_line_ = false;
    line_number_ = rejected_ = 0;
    errors_.clear();
  }
  return errors;
}

std::size_t RuleReplay::process_line(std::string_view line) {
  ++line_number_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return 0;  // blank line
  std::string error;
  if (engine_.process_text(line, engine_.current_time().value_or(0), nullptr, &error)) return 1;
  ++rejected_;
  if (errors_.size() < kMaxReplayErrorsKept) errors_.push_back("line " + std::to_string(line_number_) + ": " + error);
  return 0;
}

std::size_t RuleReplay::feed(std::string_view chunk) {
  std::size_t processed = 0;
  while (!chunk.empty()) {
    std::size_t newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    if (skipping_long_line_ || partial_.size() + piece.size() > kMaxReplayLineBytes) {
      if (!skipping_long_line_) {
        partial_.clear();
        skipping_long_line_ = true;
      }
      if (newline != std::string_view::npos) {
        ++line_number_;
        ++rejected_;
        if (errors_.size() < kMaxReplayErrorsKept)
          errors_.push_back("line " + std::to_string(line_number_) + ": longer than " +
                            std::to_string(kMaxReplayLineBytes) + " bytes");
        skipping_long_line_ = false;
      }
    } else if (newline == std::string_view::npos) {
      partial_.append(piece);
    } else if (partial_.empty()) {
      processed += process_line(piece);  // whole line inside the chunk: no copy
    } else {
      partial_.append(piece);
      processed += process_line(partial_);
      partial_.clear();
    }
    if (newline == std::string_view::npos) break;
    chunk.remove_prefix(newline + 1);
  }
  return processed;
}

std::size_t RuleReplay::finish() {
  if (skipping_long_line_) {
    skipping_long_line_ = false;
    ++line_number_;
    ++rejected_;
    return 0;
  }
  if (partial_.empty()) return 0;
  std::string line = std::move(partial_);
  partial_.clear();
  return process_line(line);
}

nlohmann::json RuleReplay::summary() const {
  nlohmann::json out = engine_.summary(engine_.current_time().value_or(0));
  if (rejected_) out["rejected_lines"] = rejected_;
  return out;
}

}  // namespace touchpoint::rules
