#include "touchpoint/url.hpp"

#include "touchpoint/event_validator.hpp"  // repair_utf8

namespace touchpoint::url {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_scheme_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// Splits `query` on '&' and keeps the segments whose decoded key is not in `keys`.
std::string filter_query(std::string_view query, const std::vector<std::string_view>& keys) {
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view segment = query.substr(start, amp - start);
    const std::string key = decode(segment.substr(0, segment.find('=')), true);
    bool drop = false;
    for (auto k : keys) drop = drop || key == k;
    if (!drop && !segment.empty()) {
      if (!out.empty()) out += '&';
      out.append(segment);
    }
    start = amp + 1;
  }
  return out;
}

}  // namespace

Parts split(std::string_view url) {
  if (url.size() > kMaxUrlBytes) url = url.substr(0, kMaxUrlBytes);
  Parts p;
  const std::size_t hash = url.find('#');
  if (hash != std::string_view::npos) {
    p.fragment.assign(url.substr(hash + 1));
    url = url.substr(0, hash);
  }
  const std::size_t q = url.find('?');
  if (q != std::string_view::npos) {
    p.query.assign(url.substr(q + 1));
    url = url.substr(0, q);
  }
  // scheme ":"
  std::size_t i = 0;
  while (i < url.size() && is_scheme_char(url[i], i == 0)) ++i;
  if (i > 0 && i < url.size() && url[i] == ':') {
    for (std::size_t k = 0; k < i; ++k) p.scheme += lower(url[k]);
    url = url.substr(i + 1);
  }
  if (url.size() >= 2 && url[0] == '/' && url[1] == '/') {
    url = url.substr(2);
    std::size_t end = url.find_first_of("/\\");
    if (end == std::string_view::npos) end = url.size();
    std::string_view authority = url.substr(0, end);
    url = url.substr(end);
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) authority = authority.substr(at + 1);
    std::size_t host_end;
    if (!authority.empty() && authority[0] == '[') {
      host_end = authority.find(']');
      host_end = host_end == std::string_view::npos ? authority.size() : host_end + 1;
    } else {
      host_end = authority.find(':');
      if (host_end == std::string_view::npos) host_end = authority.size();
    }
    for (std::size_t k = 0; k < host_end; ++k) p.host += lower(authority[k]);
    while (!p.host.empty() && p.host.back() == '.') p.host.pop_back();
    repair_utf8(p.host);  // hosts end up in JSON (referrer_host); document.referrer is not trusted
  }
  p.path.assign(url);
  return p;
}

std::string decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_as_space && c == '+') ? ' ' : c;
  }
  repair_utf8(out);
  return out;
}

std::string encode_component(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Params parse_query(std::string_view query, std::size_t limit) {
  Params out;
  std::size_t start = 0;
  while (start < query.size() && out.size() < limit) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view segment = query.substr(start, amp - start);
    start = amp + 1;
    if (segment.empty()) continue;
    const std::size_t eq = segment.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(decode(segment, true), std::string());
    } else {
      out.emplace_back(decode(segment.substr(0, eq), true), decode(segment.substr(eq + 1), true));
    }
  }
  return out;
}

std::string_view fragment_query(std::string_view fragment) {
  const std::size_t q = fragment.find('?');
  if (q != std::string_view::npos) return fragment.substr(q + 1);
  if (!fragment.empty() && fragment[0] != '/' && fragment[0] != '!' && fragment.find('=') != std::string_view::npos)
    return fragment;
  return {};
}

Params params(const Parts& parts) {
  Params out = parse_query(parts.query);
  if (out.size() < kMaxQueryParams) {
    Params more = parse_query(fragment_query(parts.fragment), kMaxQueryParams - out.size());
    for (auto& kv : more) out.push_back(std::move(kv));
  }
  return out;
}

const std::string* find(const Params& params, std::string_view key) {
  for (const auto& kv : params)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

std::string remove_params(std::string_view url, const std::vector<std::string_view>& keys) {
  std::string_view fragment;
  bool has_fragment = false;
  const std::size_t hash = url.find('#');
  if (hash != std::string_view::npos) {
    fragment = url.substr(hash + 1);
    has_fragment = true;
    url = url.substr(0, hash);
  }
  std::string out;
  const std::size_t q = url.find('?');
  if (q == std::string_view::npos) {
    out.assign(url);
  } else {
    out.assign(url.substr(0, q));
    const std::string kept = filter_query(url.substr(q + 1), keys);
    if (!kept.empty()) out += '?' + kept;
  }
  if (has_fragment) {
    const std::string_view fq = fragment_query(fragment);
    if (fq.empty()) {
      out += '#';
      out.append(fragment);
    } else {
      // fq is a suffix of fragment: either everything after a '?', or the whole fragment.
      std::string_view head = fragment.substr(0, fragment.size() - fq.size());
      const std::string kept = filter_query(fq, keys);
      if (kept.empty() && !head.empty() && head.back() == '?') head.remove_suffix(1);
      if (!head.empty() || !kept.empty()) out += '#';
      out.append(head);
      out += kept;
    }
  }
  return out;
}

std::string append_params(std::string_view url, const std::vector<std::pair<std::string_view, std::string_view>>& kv) {
  const std::size_t hash = url.find('#');
  const std::string_view head = url.substr(0, hash);
  std::string out(head);
  bool has_query = head.find('?') != std::string_view::npos;
  for (const auto& [k, v] : kv) {
    if (!has_query) {
      out += '?';
      has_query = true;
    } else if (out.back() != '?' && out.back() != '&') {
      out += '&';
    }
    out += encode_component(k);
    out += '=';
    out += encode_component(v);
  }
  if (hash != std::string_view::npos) out.append(url.substr(hash));
  return out;
}

void truncate_utf8(std::string& s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return;
  std::size_t cut = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the sequence that crosses the cut.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

bool host_is_under(std::string_view host, std::string_view domain) {
  if (domain.empty() || host.size() < domain.size()) return false;
  if (host.compare(host.size() - domain.size(), domain.size(), domain) != 0) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

}  // namespace touchpoint::url
