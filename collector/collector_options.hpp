// Command-line flags of touchpoint-collector.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#ifndef TP_DASHBOARD_ROOT
#define TP_DASHBOARD_ROOT "collector"
#endif

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
  std::vector<std::string> write_keys;   // --write-key (repeatable); none = open ingestion
  std::string admin_token;               // --admin-token; "" = open read APIs
  std::vector<std::string> allowed_origins;  // --allow-origin (repeatable): pages that may read
  std::string identity_secret;           // --identity-secret: HMAC-SHA256 key for userHash
  // Events per batch: the SDK sends at most limits::kMaxBatchEvents; Amplitude's and Mixpanel's
  // batch APIs cap at 2000 events too.
  std::size_t max_batch_events = 2000;
  // --replay-profiles: recompute every stored profile with the rules in force, then exit (after a
  // rules change; the dashboard's rule publishing does the same in-process).
  bool replay_profiles = false;
  // The directory holding dashboard/ (the page's files): the source tree by default.
  std::string dashboard_root = TP_DASHBOARD_ROOT;
};

// Parses argv. On error or --help returns nullopt and fills *message (usage text for --help, with
// *exit_code 0; the error plus usage otherwise, with *exit_code 2).
std::optional<CollectorOptions> parse_collector_options(int argc, char** argv, std::string* message, int* exit_code);

std::string collector_usage();

// Fills the admin token / identity secret from the environment values given (TP_ADMIN_TOKEN,
// TP_IDENTITY_SECRET; null when unset) unless a flag set them: flags show up in `ps`, the
// environment does not. Returns an error message for a value that is too short.
std::optional<std::string> apply_secret_environment(CollectorOptions* options, const char* admin_token,
                                                    const char* identity_secret);

}  // namespace touchpoint::collector
