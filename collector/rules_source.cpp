#include "rules_source.hpp"

#include <sys/stat.h>

#include <touchpoint/rules/rule_compiler.hpp>
#include <touchpoint/rules/tag_engine.hpp>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "etag.hpp"
#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

// FNV-1a, 64-bit: a content hash only has to change when the bytes do (the length is added to the
// tag as well); no cryptographic strength is needed for a cache validator.
std::uint64_t fnv1a64(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string strong_etag(const std::string& content) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"r-%016llx-%zx\"", static_cast<unsigned long long>(fnv1a64(content)),
                content.size());
  return buf;
}

}  // namespace

RulesSource::RulesSource(std::string path) : path_(std::move(path)) {}

void RulesSource::refresh_locked() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (stamp_) std::fprintf(stderr, "touchpoint-collector: rules file %s is gone; keeping the last version\n", path_.c_str());
    stamp_.reset();
    return;
  }
  const FileStamp stamp{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
                        static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
  if (stamp_ && *stamp_ == stamp) return;
  stamp_ = stamp;

  std::ifstream in(path_, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) {
    std::fprintf(stderr, "touchpoint-collector: cannot read rules file %s\n", path_.c_str());
    return;
  }
  std::string content = bytes.str();
  const nlohmann::json parsed = nlohmann::json::parse(content, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    // Most likely an editor caught mid-save; the next change of the file brings it back.
    std::fprintf(stderr, "touchpoint-collector: rules file %s is not a JSON object; %s\n", path_.c_str(),
                 served_ ? "keeping the last version" : "no rules served until it is fixed");
    return;
  }
  auto next = std::make_shared<RulesSnapshot>();
  touchpoint::rules::TagEngine engine;
  const std::vector<touchpoint::rules::RuleError> errors = engine.load(content);
  next->compiles = errors.empty();
  if (next->compiles) {
    next->version = engine.version();
    std::vector<touchpoint::rules::RuleError> compile_errors;
    next->program = touchpoint::rules::compile_rules_to_program(content, &compile_errors);
    next->program_etag = strong_etag(next->program);
  } else {
    // Served anyway, as any static host would: the SDK's rejection path (keep the cached set,
    // report rules_rejected) is what such a file exercises. Say so loudly here.
    auto version = parsed.find("version");
    next->version = version != parsed.end() && version->is_string() ? version->get<std::string>() : "";
    std::fprintf(stderr, "touchpoint-collector: warning: rules file %s does not compile (%zu errors); devices will reject it\n",
                 path_.c_str(), errors.size());
    for (std::size_t i = 0; i < errors.size() && i < 10; ++i)
      std::fprintf(stderr, "  %s: %s\n", errors[i].path.c_str(), errors[i].message.c_str());
    next->program = touchpoint::rules::rejected_program(next->version, errors);
    next->program_etag = strong_etag(next->program);
  }
  next->etag = strong_etag(content);
  next->content = std::move(content);
  served_ = next;
  if (next->compiles) compiled_ = std::move(next);
}

std::shared_ptr<const RulesSnapshot> RulesSource::current() {
  if (path_.empty()) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  refresh_locked();
  return served_;
}

std::shared_ptr<const RulesSnapshot> RulesSource::current_compiled() {
  if (path_.empty()) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  refresh_locked();
  return compiled_;
}

void register_rules_routes(httplib::Server& server, RulesSource& rules) {
  server.Get("/v1/rules", [&rules](const httplib::Request& req, httplib::Response& res) {
    if (!rules.configured())
      return send_error(res, 404, "rules_not_configured", "this collector was started without --rules FILE");
    const auto snapshot = rules.current();
    if (!snapshot) {
      res.set_header("Retry-After", "5");
      return send_error(res, 503, "rules_unavailable", "the rules file is missing or is not valid JSON");
    }
    // Devices get the compiled program; for a set that does not compile, an envelope with its
    // errors, which devices reject (keeping the set in force and reporting rules_rejected).
    const bool source = req.get_param_value("format") == "source" || snapshot->program.empty();
    const std::string& body = source ? snapshot->content : snapshot->program;
    const std::string& etag = source ? snapshot->etag : snapshot->program_etag;
    res.set_header("ETag", etag);
    // Clients may keep a copy but must revalidate: a rule change should reach them on next fetch.
    res.set_header("Cache-Control", "no-cache");
    if (req.has_header("If-None-Match") && if_none_match_hits(req.get_header_value("If-None-Match"), etag)) {
      res.status = 304;
      return;
    }
    res.status = 200;
    res.set_content(body, "application/json");
  });
}

}  // namespace touchpoint::collector
