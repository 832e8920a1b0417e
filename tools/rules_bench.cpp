// rules-bench: native throughput of the tag engine on the rule workload (condition / window /
// score sets of 10, 100 and 1,000 rules over the same event stream). Events are read into memory
// first; the timed loop is TagEngine::process_text over every NDJSON line (scan + evaluate), the
// same path `touchpoint-rules replay` and the wasm RuleReplay take. Printed figures, not asserts.
//
//   rules-bench --events EVENTS.ndjson [--rules-dir DIR] [--limit N] [--repeat N] [--only SET] [--json]
//
// --only runs one set (e.g. window-1000), for profiling.
//
// DIR defaults to the `rules` folder beside the events file (node convert.mjs OUT writes both).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "touchpoint/rules/tag_engine.hpp"

namespace {

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

struct Result {
  std::string family;
  int rules = 0;
  std::size_t events = 0;
  double us_per_event = 0;
  double events_per_second = 0;
  std::size_t state_bytes = 0;
  double load_ms = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string events_path, rules_dir, only;
  std::size_t limit = 0;
  int repeat = 3;
  bool as_json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) events_path = argv[++i];
    else if (a == "--rules-dir" && i + 1 < argc) rules_dir = argv[++i];
    else if (a == "--limit" && i + 1 < argc) limit = std::stoul(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::stoi(argv[++i]));
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--json") as_json = true;
    else {
      std::cerr << "usage: rules-bench --events EVENTS.ndjson [--rules-dir DIR] [--limit N] [--repeat N] [--only SET] [--json]\n";
      return 2;
    }
  }
  if (events_path.empty()) {
    std::cerr << "rules-bench: --events is required (generate with: node convert.mjs OUT_DIR)\n";
    return 2;
  }
  if (rules_dir.empty()) {
    auto slash = events_path.find_last_of('/');
    rules_dir = (slash == std::string::npos ? std::string(".") : events_path.substr(0, slash)) + "/rules";
  }
  std::string text;
  if (!read_file(events_path, &text)) {
    std::cerr << "rules-bench: cannot read " << events_path << "\n";
    return 3;
  }
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.emplace_back(text.data() + start, end - start);
    start = end + 1;
    if (limit && lines.size() >= limit) break;
  }

  std::vector<Result> results;
  for (const char* family : {"condition", "window", "score"}) {
    for (int size : {10, 100, 1000}) {
      const std::string set = std::string(family) + "-" + std::to_string(size);
      if (!only.empty() && only != set) continue;
      std::string rules_path = rules_dir + "/" + set + ".json";
      std::string rules;
      if (!read_file(rules_path, &rules)) {
        std::cerr << "rules-bench: cannot read " << rules_path << "\n";
        return 3;
      }
      Result r;
      r.family = family;
      r.rules = size;
      r.events = lines.size();
      double best = 1e100;
      for (int run = 0; run < repeat; ++run) {
        touchpoint::rules::TagEngine engine;
        auto t0 = std::chrono::steady_clock::now();
        auto errors = engine.load(rules);
        auto t1 = std::chrono::steady_clock::now();
        if (!errors.empty()) {
          std::cerr << "rules-bench: " << rules_path << ": " << errors[0].path << ": " << errors[0].message << "\n";
          return 1;
        }
        std::string error;
        for (std::string_view line : lines) engine.process_text(line, 0, nullptr, &error);
        auto t2 = std::chrono::steady_clock::now();
        double seconds = std::chrono::duration<double>(t2 - t1).count();
        if (seconds < best) {
          best = seconds;
          r.load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
          r.state_bytes = engine.state_memory_bytes();
        }
      }
      r.us_per_event = best * 1e6 / static_cast<double>(lines.size());
      r.events_per_second = static_cast<double>(lines.size()) / best;
      results.push_back(r);
      if (!as_json)
        std::fprintf(stdout, "%-10s %5d rules  %8zu events  %7.2f us/event  %10.0f events/s  load %6.1f ms  state %8.1f KB\n",
                     family, size, r.events, r.us_per_event, r.events_per_second, r.load_ms, r.state_bytes / 1024.0);
    }
  }
  if (as_json) {
    std::cout << "[";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      std::printf("%s{\"family\":\"%s\",\"rules\":%d,\"events\":%zu,\"us_per_event\":%.4f,\"events_per_second\":%.1f,"
                  "\"load_ms\":%.2f,\"state_bytes\":%zu}",
                  i ? "," : "", r.family.c_str(), r.rules, r.events, r.us_per_event, r.events_per_second, r.load_ms,
                  r.state_bytes);
    }
    std::cout << "]\n";
  } else {
    std::size_t total = 0;
    for (const auto& r : results) total += r.state_bytes;
    std::printf("state memory at the end (sum over the 9 engines): %.1f KB\n", total / 1024.0);
  }
  return 0;
}
