// touchpoint-rules: validate a touchpoint-rules/1 rule set, compile it into the program devices
// load, or replay NDJSON events through it (RULES may be JSON source or a compiled program).
//
//   touchpoint-rules check RULES.json
//   touchpoint-rules compile RULES.json -o PROGRAM   (PROGRAM "-" = stdout; serve it from any static host)
//   touchpoint-rules replay --rules RULES.json --events EVENTS.ndjson
//
// Exit codes: 0 ok; 1 the rule set is invalid; 2 usage error; 3 a file cannot be read;
// 4 replay finished but some event lines were rejected (the summary is still printed).
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "touchpoint/rules/rule_compiler.hpp"
#include "touchpoint/rules/rule_replay.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalidRules = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;
constexpr int kExitRejectedEvents = 4;

constexpr const char* kUsage =
    "usage: touchpoint-rules check RULES.json\n"
    "       touchpoint-rules compile RULES.json -o PROGRAM\n"
    "       touchpoint-rules replay --rules RULES.json --events EVENTS.ndjson\n"
    "exit codes: 0 ok, 1 invalid rule set, 2 usage, 3 unreadable file, 4 some event lines rejected\n";

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !in.bad();
}

void print_errors(const std::string& file, const std::vector<touchpoint::rules::RuleError>& errors) {
  for (const auto& e : errors) std::cerr << file << ": " << (e.path.empty() ? "/" : e.path) << ": " << e.message << "\n";
}

std::size_t count_of(const nlohmann::json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_array() ? it->size() : 0;
}

int check(const std::string& rules_path) {
  std::string text;
  if (!read_file(rules_path, &text)) {
    std::cerr << "touchpoint-rules: cannot read " << rules_path << "\n";
    return kExitUnreadable;
  }
  touchpoint::rules::TagEngine engine;
  auto errors = engine.load(text);
  if (!errors.empty()) {
    print_errors(rules_path, errors);
    std::cerr << errors.size() << " error" << (errors.size() == 1 ? "" : "s") << "\n";
    return kExitInvalidRules;
  }
  auto doc = nlohmann::json::parse(text, nullptr, false);
  std::cout << "ok: " << count_of(doc, "traits") << " traits, " << count_of(doc, "scores") << " scores, "
            << count_of(doc, "tags") << " tags, " << count_of(doc, "stages") << " stages";
  if (!engine.version().empty()) std::cout << " (version " << engine.version() << ")";
  std::cout << "\n";
  return kExitOk;
}

int compile(const std::string& rules_path, const std::string& out_path) {
  std::string text;
  if (!read_file(rules_path, &text)) {
    std::cerr << "touchpoint-rules: cannot read " << rules_path << "\n";
    return kExitUnreadable;
  }
  std::vector<touchpoint::rules::RuleError> errors;
  const std::string program = touchpoint::rules::compile_rules_to_program(text, &errors);
  if (program.empty()) {
    print_errors(rules_path, errors);
    return kExitInvalidRules;
  }
  if (out_path == "-") {
    std::cout << program;
    return kExitOk;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << program;
  out.close();
  if (!out) {
    std::cerr << "touchpoint-rules: cannot write " << out_path << "\n";
    return kExitUnreadable;
  }
  std::cerr << "compiled " << rules_path << " -> " << out_path << " (" << program.size() << " bytes)\n";
  return kExitOk;
}

int replay(const std::string& rules_path, const std::string& events_path) {
  std::string text;
  if (!read_file(rules_path, &text)) {
    std::cerr << "touchpoint-rules: cannot read " << rules_path << "\n";
    return kExitUnreadable;
  }
  touchpoint::rules::RuleReplay replay;
  auto errors = replay.load(text);
  if (!errors.empty()) {
    print_errors(rules_path, errors);
    return kExitInvalidRules;
  }
  std::ifstream in(events_path, std::ios::binary);
  if (!in) {
    std::cerr << "touchpoint-rules: cannot read " << events_path << "\n";
    return kExitUnreadable;
  }
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    replay.feed(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
  }
  if (in.bad()) {
    std::cerr << "touchpoint-rules: error reading " << events_path << "\n";
    return kExitUnreadable;
  }
  replay.finish();
  for (const auto& e : replay.errors()) std::cerr << events_path << ": " << e << "\n";
  if (replay.rejected() > replay.errors().size())
    std::cerr << events_path << ": " << (replay.rejected() - replay.errors().size()) << " more rejected lines\n";
  std::cout << replay.summary().dump(1) << "\n";
  return replay.rejected() ? kExitRejectedEvents : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "check") return check(args[1]);
  if (args.size() == 4 && args[0] == "compile" && args[2] == "-o") return compile(args[1], args[3]);
  if (!args.empty() && args[0] == "replay") {
    std::string rules, events;
    for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
      if (args[i] == "--rules") rules = args[i + 1];
      else if (args[i] == "--events") events = args[i + 1];
      else rules.clear(), events.clear(), i = args.size();
    }
    if (args.size() == 5 && !rules.empty() && !events.empty()) return replay(rules, events);
  }
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kUsage;
    return kExitOk;
  }
  std::cerr << kUsage;
  return kExitUsage;
}
