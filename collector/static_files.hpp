// Static files for the demo pages and the built SDK (--static DIR, repeatable, mounted at "/").
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"

namespace touchpoint::collector {

// MIME type by file extension; browsers refuse streaming wasm compilation unless .wasm is
// application/wasm, and module scripts unless .js/.mjs is a JavaScript type.
std::string mime_type_for(std::string_view path);

class StaticFiles {
 public:
  explicit StaticFiles(std::vector<std::string> roots);  // earlier roots win

  // Serves GET/HEAD for `req.path` if a root has it; false if none does (the caller sends 404).
  // Directories redirect to their "/" form and serve index.html; "..", NUL and backslashes are
  // refused so nothing outside the roots is reachable.
  bool serve(const httplib::Request& req, httplib::Response& res) const;

  bool empty() const { return roots_.empty(); }

 private:
  std::vector<std::string> roots_;
};

// "/" redirects to the H5 demo, /favicon.ico is an empty 204, everything else unmatched by the
// API routes goes through `files`. Register after every API route: this catches all GETs.
void register_static_routes(httplib::Server& server, const StaticFiles& files);

}  // namespace touchpoint::collector
