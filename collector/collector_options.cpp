#include "collector_options.hpp"

#include <cerrno>
#include <cstdlib>

namespace touchpoint::collector {
namespace {

bool parse_unsigned(const std::string& text, unsigned long long max, unsigned long long* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

std::string collector_usage() {
  return "usage: touchpoint-collector [--port 8787] [--host 127.0.0.1] [--db touchpoint.db]\n"
         "                            [--static DIR]... [--rules FILE] [--fault-mode]\n"
         "                            [--max-body BYTES] [--quiet]\n"
         "  --port N         port to listen on; 0 picks a free one (the line printed says which)\n"
         "  --host ADDR      address to bind (default 127.0.0.1)\n"
         "  --db FILE        SQLite database (default touchpoint.db in the working directory)\n"
         "  --static DIR     serve DIR's files at / (repeatable; earlier directories win)\n"
         "  --rules FILE     serve FILE at GET /v1/rules and use it for GET /v1/users/{id}\n"
         "  --fault-mode     enable the test-only /__fault endpoint and DELETE /v1/events\n"
         "  --max-body N     largest batch body in bytes, compressed or not (default 1048576)\n"
         "  --quiet          no per-batch log lines on stderr\n";
}

std::optional<CollectorOptions> parse_collector_options(int argc, char** argv, std::string* message, int* exit_code) {
  CollectorOptions options;
  auto fail = [&](const std::string& why) -> std::optional<CollectorOptions> {
    *message = "touchpoint-collector: " + why + "\n" + collector_usage();
    *exit_code = 2;
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_inline_value = false;
    // Accept both "--port 8787" and "--port=8787".
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline_value = true;
    }
    auto take_value = [&]() -> bool {
      if (has_inline_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (flag == "--help" || flag == "-h") {
      *message = collector_usage();
      *exit_code = 0;
      return std::nullopt;
    } else if (flag == "--fault-mode") {
      options.fault_mode = true;
    } else if (flag == "--quiet") {
      options.quiet = true;
    } else if (flag == "--port") {
      unsigned long long port = 0;
      if (!take_value() || !parse_unsigned(value, 65535, &port)) return fail("--port needs a number 0..65535");
      options.port = static_cast<int>(port);
    } else if (flag == "--host") {
      if (!take_value() || value.empty()) return fail("--host needs an address");
      options.host = value;
    } else if (flag == "--db") {
      if (!take_value() || value.empty()) return fail("--db needs a file name");
      options.db_path = value;
    } else if (flag == "--static") {
      if (!take_value() || value.empty()) return fail("--static needs a directory");
      options.static_dirs.push_back(value);
    } else if (flag == "--rules") {
      if (!take_value() || value.empty()) return fail("--rules needs a file name");
      options.rules_path = value;
    } else if (flag == "--max-body") {
      unsigned long long bytes = 0;
      // Above 1 GiB the in-memory body handling stops making sense for a reference server.
      if (!take_value() || !parse_unsigned(value, 1ULL << 30, &bytes) || bytes == 0)
        return fail("--max-body needs a byte count 1..1073741824");
      options.max_body_bytes = static_cast<std::size_t>(bytes);
    } else {
      return fail("unknown argument \"" + std::string(argv[i]) + "\"");
    }
  }
  return options;
}

}  // namespace touchpoint::collector
