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

// Secrets shorter than this are refused (16 characters of a random token is ~95 bits).
constexpr std::size_t kMinSecretLength = 16;

// scheme "://" host [":" port], nothing after: what browsers send in the Origin header.
bool valid_origin(const std::string& origin) {
  const auto sep = origin.find("://");
  if (sep == std::string::npos || sep == 0) return false;
  const std::string scheme = origin.substr(0, sep);
  if (scheme != "http" && scheme != "https") return false;
  const std::string rest = origin.substr(sep + 3);
  return !rest.empty() && rest.find_first_of("/?#@ ") == std::string::npos && rest.back() != ':';
}

}  // namespace

std::string collector_usage() {
  return "usage: touchpoint-collector [--port 8787] [--host 127.0.0.1] [--db touchpoint.db]\n"
         "                            [--static DIR]... [--rules FILE] [--fault-mode]\n"
         "                            [--max-body BYTES] [--max-events N] [--quiet]\n"
         "                            [--replay-profiles]\n"
         "                            [--write-key KEY]... [--admin-token TOKEN]\n"
         "                            [--allow-origin ORIGIN]... [--identity-secret SECRET]\n"
         "  --port N         port to listen on; 0 picks a free one (the line printed says which)\n"
         "  --host ADDR      address to bind (default 127.0.0.1)\n"
         "  --db FILE|URL    SQLite database file (default touchpoint.db in the working directory), or\n"
         "                   postgres://user@host/db (or libpq's host=... dbname=...) for PostgreSQL\n"
         "  --static DIR     serve DIR's files at / (repeatable; earlier directories win)\n"
         "  --rules FILE     serve FILE at GET /v1/rules and use it for GET /v1/users/{id}\n"
         "  --fault-mode     enable the test-only /__fault endpoint and DELETE /v1/events\n"
         "  --max-body N     largest batch body in bytes, compressed or not (default 1048576)\n"
         "  --max-events N   most events in one batch (default 2000); more is a 413\n"
         "  --quiet          no per-batch log lines on stderr\n"
         "  --dashboard-root DIR  directory holding dashboard/ (default: the source tree's collector/)\n"
         "  --replay-profiles  recompute every profile from the stored events with --rules, then exit\n"
         "  --write-key KEY  accept batches carrying KEY only (repeatable; none: accept all)\n"
         "  --admin-token T  read APIs and the dashboard need \"Authorization: Bearer T\"\n"
         "  --allow-origin O pages on origin O (e.g. https://shop.example) may call read APIs\n"
         "  --identity-secret S  verify identify()'s userHash = hex HMAC-SHA256(S, userId)\n"
         "  Secrets may also come from TP_ADMIN_TOKEN / TP_IDENTITY_SECRET (kept out of `ps`).\n";
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
    } else if (flag == "--replay-profiles") {
      options.replay_profiles = true;
    } else if (flag == "--port") {
      unsigned long long port = 0;
      if (!take_value() || !parse_unsigned(value, 65535, &port)) return fail("--port needs a number 0..65535");
      options.port = static_cast<int>(port);
    } else if (flag == "--host") {
      if (!take_value() || value.empty()) return fail("--host needs an address");
      options.host = value;
    } else if (flag == "--db") {
      if (!take_value() || value.empty()) return fail("--db needs a file name or a postgres:// URL");
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
    } else if (flag == "--dashboard-root") {
      if (!take_value() || value.empty()) return fail("--dashboard-root needs a directory (the one holding dashboard/)");
      options.dashboard_root = value;
    } else if (flag == "--max-events") {
      unsigned long long n = 0;
      if (!take_value() || !parse_unsigned(value, 1000000, &n) || n == 0)
        return fail("--max-events needs a count 1..1000000");
      options.max_batch_events = static_cast<std::size_t>(n);
    } else if (flag == "--write-key") {
      if (!take_value() || value.empty()) return fail("--write-key needs a key");
      options.write_keys.push_back(value);
    } else if (flag == "--admin-token") {
      // Short tokens are guessable; 16 characters is the floor OWASP's session-id advice implies.
      if (!take_value() || value.size() < kMinSecretLength)
        return fail("--admin-token needs a token of at least 16 characters");
      options.admin_token = value;
    } else if (flag == "--allow-origin") {
      if (!take_value() || !valid_origin(value))
        return fail("--allow-origin needs an origin like https://shop.example (scheme://host[:port], no path)");
      options.allowed_origins.push_back(value);
    } else if (flag == "--identity-secret") {
      if (!take_value() || value.size() < kMinSecretLength)
        return fail("--identity-secret needs a secret of at least 16 characters");
      options.identity_secret = value;
    } else {
      return fail("unknown argument \"" + std::string(argv[i]) + "\"");
    }
  }
  return options;
}

std::optional<std::string> apply_secret_environment(CollectorOptions* options, const char* admin_token,
                                                    const char* identity_secret) {
  if (options->admin_token.empty() && admin_token && *admin_token) {
    if (std::string(admin_token).size() < kMinSecretLength) return "TP_ADMIN_TOKEN must be at least 16 characters";
    options->admin_token = admin_token;
  }
  if (options->identity_secret.empty() && identity_secret && *identity_secret) {
    if (std::string(identity_secret).size() < kMinSecretLength)
      return "TP_IDENTITY_SECRET must be at least 16 characters";
    options->identity_secret = identity_secret;
  }
  return std::nullopt;
}

}  // namespace touchpoint::collector
