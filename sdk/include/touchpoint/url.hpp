// Lenient URL handling for landing pages, referrers and share links: split a URL into parts, read
// its query (and the query an SPA keeps in a hash route), percent-decode, and edit tp_* parameters
// while keeping every other byte of the URL as it was. Never fails: garbage in gives empty parts.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace touchpoint::url {

// Longer URLs are cut before parsing (Apache's LimitRequestLine is 8190 bytes, nginx's
// large_client_header_buffers 8 KB: a longer landing URL could not have reached the server anyway).
constexpr std::size_t kMaxUrlBytes = 8192;
// Parameters read from one URL, query and hash route together (Node's querystring.parse maxKeys: 1000).
constexpr std::size_t kMaxQueryParams = 1000;

struct Parts {
  std::string scheme;    // lowercased, "" when the text has none ("/path?x=1")
  std::string host;      // lowercased, without userinfo, port and trailing dot, valid UTF-8; "" when none
  std::string path;      // raw
  std::string query;     // raw, without the '?'
  std::string fragment;  // raw, without the '#'
};

// Splits `url` (cut at kMaxUrlBytes). "scheme://host" and "//host" carry a host; anything else is a
// path. The query starts at the first '?' before the first '#'.
Parts split(std::string_view url);

// Percent-decodes `s`. An invalid escape ("%zz", "%4" at the end, a lone "%") is kept literally;
// with `plus_as_space` (query strings, per application/x-www-form-urlencoded) '+' becomes ' '.
// Bytes that do not form valid UTF-8 after decoding are replaced by U+FFFD, so the result is always
// safe to put into JSON.
std::string decode(std::string_view s, bool plus_as_space);

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string encode_component(std::string_view s);

using Params = std::vector<std::pair<std::string, std::string>>;

// Decoded key/value pairs of a raw query string in order: "a=1&b&c=" gives a:"1", b:"", c:"".
// Empty segments are skipped; at most `limit` pairs are read.
Params parse_query(std::string_view query, std::size_t limit = kMaxQueryParams);

// The query an SPA keeps in its fragment: "/route?x=1" -> "x=1", "!/p?x=1" -> "x=1", and a fragment
// that is itself a query ("x=1&y=2", no '?', not starting with '/' or '!') -> "x=1&y=2".
// Anything else ("section", "/route") -> "".
std::string_view fragment_query(std::string_view fragment);

// The URL's parameters: the query's first, then the fragment query's (at most kMaxQueryParams).
Params params(const Parts& parts);
inline Params params(std::string_view url) { return params(split(url)); }

// The first value of `key` (exact, case-sensitive match), or nullptr.
const std::string* find(const Params& params, std::string_view key);

// Removes every parameter whose decoded key is in `keys`, from the query and from the fragment
// query; everything else stays byte for byte (an emptied query loses its '?', a fragment emptied
// this way its '#').
std::string remove_params(std::string_view url, const std::vector<std::string_view>& keys);

// Appends encoded "key=value" pairs to the query (before any fragment).
std::string append_params(std::string_view url, const std::vector<std::pair<std::string_view, std::string_view>>& kv);

// Cuts `s` to at most `max_bytes` without splitting a UTF-8 sequence.
void truncate_utf8(std::string& s, std::size_t max_bytes);

// True if `host` is `domain` or a subdomain of it ("m.baidu.com" is under "baidu.com", "notbaidu.com" is not).
bool host_is_under(std::string_view host, std::string_view domain);

}  // namespace touchpoint::url
