#include "static_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <utility>

#include "etag.hpp"
#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

bool is_safe_relative_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string_view segment(path.data() + start, end - start);
    if (segment == "..") return false;
    start = end + 1;
  }
  return true;
}

// A weak validator from size and mtime: cheap, and right for files edited during development.
std::string file_etag(const struct stat& st) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "W/\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000ULL + st.st_mtim.tv_nsec / 1000000);
  return buf;
}

}  // namespace

std::string mime_type_for(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "application/octet-stream";
  std::string ext(path.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::pair<const char*, const char*> kTypes[] = {
      {"wasm", "application/wasm"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"woff2", "font/woff2"},
  };
  for (const auto& [extension, type] : kTypes)
    if (ext == extension) return type;
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::vector<std::string> roots) : roots_(std::move(roots)) {
  for (auto& root : roots_)
    while (root.size() > 1 && root.back() == '/') root.pop_back();
}

bool StaticFiles::serve(const httplib::Request& req, httplib::Response& res) const {
  const std::string& path = req.path;
  if (!is_safe_relative_path(path)) return false;
  for (const std::string& root : roots_) {
    std::string file = root + path;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (path.back() != '/') {
        // Relative links in index.html resolve against the directory only with the slash.
        std::string location = path + "/";
        if (!req.params.empty()) {
          const auto q = req.target.find('?');
          if (q != std::string::npos) location += req.target.substr(q);
        }
        res.set_redirect(location, 301);
        return true;
      }
      file += "index.html";
      if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    } else if (!S_ISREG(st.st_mode)) {
      continue;
    }

    const std::string etag = file_etag(st);
    res.set_header("ETag", etag);
    // Development server: always revalidate, so a rebuilt wasm is picked up on reload.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
    if (req.has_header("If-None-Match") && if_none_match_hits(req.get_header_value("If-None-Match"), etag)) {
      res.status = 304;
      return true;
    }
    auto stream = std::make_shared<std::ifstream>(file, std::ios::binary);
    if (!stream->is_open()) continue;
    res.status = 200;
    // Streamed in chunks: a large file never sits in memory whole.
    res.set_content_provider(
        static_cast<std::size_t>(st.st_size), mime_type_for(file),
        [stream](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          char buf[65536];
          stream->seekg(static_cast<std::streamoff>(offset));
          const std::size_t want = std::min(length, sizeof buf);
          stream->read(buf, static_cast<std::streamsize>(want));
          const std::streamsize got = stream->gcount();
          if (got <= 0) return false;  // the file shrank under us: abort the response
          return sink.write(buf, static_cast<std::size_t>(got));
        });
    return true;
  }
  return false;
}

void register_static_routes(httplib::Server& server, const StaticFiles& files) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/examples/h5/", 302); });
  // Browsers ask for it on every page; an empty answer keeps the console free of 404s.
  server.Get("/favicon.ico", [&files](const httplib::Request& req, httplib::Response& res) {
    if (!files.serve(req, res)) res.status = 204;
  });
  server.Get(R"(.*)", [&files](const httplib::Request& req, httplib::Response& res) {
    if (!files.serve(req, res)) send_error(res, 404, "not_found", "no route or file for " + req.path);
  });
}

}  // namespace touchpoint::collector
