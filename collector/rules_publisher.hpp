// Publishing a rule set from the dashboard: validate with the SDK's own TagEngine (errors with
// their JSON paths, nothing goes live), keep every published version in a history directory
// beside the --rules file for rollback, then replace the file atomically (write + rename), which
// RulesSource picks up and devices fetch on their next revalidation.
#pragma once
#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <string>

namespace touchpoint::collector {

class RulesPublisher {
 public:
  // `rules_path` is --rules ("" = publishing unavailable). History: "<rules_path>.history/".
  explicit RulesPublisher(std::string rules_path);

  bool available() const { return !rules_path_.empty(); }

  // [{path, message}]: empty when `rules_text` compiles (and is a JSON object).
  static nlohmann::json validate(const std::string& rules_text);

  // Validates, then records a history entry and makes the rule set live. On errors returns them
  // and changes nothing. `note` is free text for the history ("rollback of 3").
  // Returns {"ok":true,"entry":{id, version, published_at_ms, note}} or {"ok":false,"errors":[...]}
  nlohmann::json publish(const std::string& rules_text, const std::string& note, std::int64_t now_ms);

  // [{id, version, published_at_ms, note, bytes}], newest first.
  nlohmann::json history() const;

  // The rules text of history entry `id`, if it exists.
  std::optional<std::string> history_entry(std::int64_t id) const;

 private:
  std::string history_dir() const { return rules_path_ + ".history"; }
  std::string rules_path_;
  std::mutex mutex_;
};

}  // namespace touchpoint::collector
