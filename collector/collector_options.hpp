// Command-line flags of touchpoint-collector.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace touchpoint::collector {

struct CollectorOptions {
  std::string host = "127.0.0.1";       // loopback unless asked: this is a development backend
  int port = 8787;                      // 0 = let the OS pick a free port
  std::string db_path = "touchpoint.db";
  std::vector<std::string> static_dirs;  // mounted at "/" in the order given
  std::string rules_path;                // "" = GET /v1/rules answers 404
  bool fault_mode = false;               // enables /__fault and DELETE /v1/events (tests only)
  // 1 MiB, on the wire and after gunzip: twice the SDK's own batch cap (limits::kMaxBatchBodyBytes),
  // in line with Segment's 500 KB batch limit plus headroom.
  std::size_t max_body_bytes = 1024 * 1024;
  bool quiet = false;                    // no per-batch log lines on stderr
};

// Parses argv. On error or --help returns nullopt and fills *message (usage text for --help, with
// *exit_code 0; the error plus usage otherwise, with *exit_code 2).
std::optional<CollectorOptions> parse_collector_options(int argc, char** argv, std::string* message, int* exit_code);

std::string collector_usage();

}  // namespace touchpoint::collector
