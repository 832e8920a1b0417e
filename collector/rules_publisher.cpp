#include "rules_publisher.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <touchpoint/rules/tag_engine.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

using nlohmann::json;

// History file names: "<id, 6 digits>.json" beside a "<id>.meta.json" with version and note.
std::string entry_name(std::int64_t id) {
  char name[32];
  std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(id));
  return name;
}

bool write_file(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << content;
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;  // atomic: readers see old or new, never half
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::int64_t> entry_ids(const std::string& dir) {
  std::vector<std::int64_t> ids;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() == 16 && name.substr(6) == ".meta.json" &&
          name.substr(0, 6).find_first_not_of("0123456789") == std::string::npos)
        ids.push_back(std::stoll(name.substr(0, 6)));
    }
    closedir(d);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

RulesPublisher::RulesPublisher(std::string rules_path) : rules_path_(std::move(rules_path)) {}

json RulesPublisher::validate(const std::string& rules_text) {
  json errors = json::array();
  const json parsed = json::parse(rules_text, nullptr, false);
  if (parsed.is_discarded()) {
    errors.push_back({{"path", ""}, {"message", "not valid JSON"}});
    return errors;
  }
  if (!parsed.is_object()) {
    errors.push_back({{"path", ""}, {"message", std::string("a rule set is a JSON object, got ") + parsed.type_name()}});
    return errors;
  }
  touchpoint::rules::TagEngine engine;
  for (const auto& e : engine.load(rules_text)) errors.push_back({{"path", e.path}, {"message", e.message}});
  return errors;
}

json RulesPublisher::publish(const std::string& rules_text, const std::string& note, std::int64_t now_ms) {
  json errors = validate(rules_text);
  if (!errors.empty()) return {{"ok", false}, {"errors", std::move(errors)}};
  std::lock_guard<std::mutex> lock(mutex_);
  ::mkdir(history_dir().c_str(), 0755);
  const auto ids = entry_ids(history_dir());
  const std::int64_t id = ids.empty() ? 1 : ids.back() + 1;
  const json parsed = json::parse(rules_text, nullptr, false);
  const json entry = {{"id", id},
                      {"version", parsed.value("version", "")},
                      {"published_at_ms", now_ms},
                      {"note", note},
                      {"bytes", rules_text.size()}};
  const std::string base = history_dir() + "/" + entry_name(id);
  if (!write_file(base + ".json", rules_text) || !write_file(base + ".meta.json", dump_json(entry)))
    return {{"ok", false}, {"errors", json::array({{{"path", ""}, {"message", "cannot write the rules history"}}})}};
  if (!write_file(rules_path_, rules_text))
    return {{"ok", false}, {"errors", json::array({{{"path", ""}, {"message", "cannot write " + rules_path_}}})}};
  return {{"ok", true}, {"entry", entry}};
}

json RulesPublisher::history() const {
  json out = json::array();
  const auto ids = entry_ids(history_dir());
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    const auto meta = read_file(history_dir() + "/" + entry_name(*it) + ".meta.json");
    if (!meta) continue;
    json entry = json::parse(*meta, nullptr, false);
    if (entry.is_object()) out.push_back(std::move(entry));
  }
  return out;
}

std::optional<std::string> RulesPublisher::history_entry(std::int64_t id) const {
  if (id <= 0 || id > 999999) return std::nullopt;
  return read_file(history_dir() + "/" + entry_name(id) + ".json");
}

}  // namespace touchpoint::collector
