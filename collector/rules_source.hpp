// The rule set served at GET /v1/rules: read from --rules FILE, re-read when the file changes,
// validated and compiled here into the program devices load (docs/rules.md "Compiled programs";
// the device has no compiler), and tagged with a strong ETag so SDKs revalidate with
// If-None-Match and get 304 while nothing changed. `?format=source` serves the file itself.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "http.hpp"

namespace touchpoint::collector {

struct RulesSnapshot {
  std::string content;  // the file's bytes
  std::string etag;     // quoted: "r-<FNV-1a 64 of the bytes>-<length in hex>"
  std::string version;  // the rule set's "version", "" if it has none
  bool compiles = false;  // TagEngine::load accepted it (devices will too)
  std::string program;       // the compiled program, or the rejection envelope with its errors
  std::string program_etag;  // of the program's bytes
};

class RulesSource {
 public:
  explicit RulesSource(std::string path);  // "" = no rules configured

  bool configured() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  // The file as served, re-read if its mtime/size/inode changed. A file that is not a JSON object
  // (an editor caught mid-save) keeps the last version; one that is JSON but does not compile is
  // served all the same, with its errors on stderr, since devices must cope with exactly that.
  // Null if no JSON version was ever read.
  std::shared_ptr<const RulesSnapshot> current();

  // The newest version that compiled: what devices keep in force when a newer one is rejected,
  // so profiles are computed with it. Null if none ever compiled.
  std::shared_ptr<const RulesSnapshot> current_compiled();

 private:
  struct FileStamp {
    std::int64_t mtime_ns = 0;
    std::int64_t size = -1;
    std::uint64_t inode = 0;
    bool operator==(const FileStamp& o) const {
      return mtime_ns == o.mtime_ns && size == o.size && inode == o.inode;
    }
  };

  std::string path_;
  std::mutex mutex_;
  void refresh_locked();

  std::optional<FileStamp> stamp_;  // of the last read attempt
  std::shared_ptr<const RulesSnapshot> served_;
  std::shared_ptr<const RulesSnapshot> compiled_;
};

// GET /v1/rules: the compiled program (or, for a set that does not compile, an envelope with its
// errors, which devices reject and report); ?format=source: the file. ETag / If-None-Match (304), no-cache.
void register_rules_routes(httplib::Server& server, RulesSource& rules);

}  // namespace touchpoint::collector
