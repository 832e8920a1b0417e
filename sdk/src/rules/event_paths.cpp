#include "event_paths.hpp"

#include <cstdlib>
#include <cstring>

namespace touchpoint::rules {

EventPaths::EventPaths() { nodes_.emplace_back(); }

void EventPaths::add(const std::vector<std::string>& segments, std::uint32_t slot) {
  std::uint32_t node = 0;
  for (const auto& segment : segments) {
    std::uint32_t next = child(node, segment);
    if (next == kNoIndex) {
      next = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
      nodes_[node].children.emplace_back(segment, next);
    }
    node = next;
  }
  if (nodes_[node].slot == kNoIndex) {
    nodes_[node].slot = slot;
    slots_.push_back(slot);
  }
}

std::uint32_t EventPaths::child(std::uint32_t node, std::string_view key) const {
  for (const auto& [name, id] : nodes_[node].children)
    if (name.size() == key.size() && bytes_equal(name.data(), key.data(), key.size())) return id;
  return kNoIndex;
}

void EventPaths::fill_from_json(std::uint32_t node, const nlohmann::json& value, Value* slots) const {
  const TrieNode& n = nodes_[node];
  if (n.slot != kNoIndex) slots[n.slot] = Value::of_json(value);
  if (n.children.empty()) return;
  if (value.is_object()) {
    const auto& object = *value.get_ptr<const nlohmann::json::object_t*>();
    for (const auto& [name, id] : n.children) {
      auto it = object.find(name);
      if (it != object.end()) fill_from_json(id, it->second, slots);
    }
  } else if (value.is_array()) {
    Value array = Value::of_json(value);
    for (const auto& [name, id] : n.children) {
      Value element = member(array, name);
      if (!element.is_undefined()) fill_from_json(id, (*value.get_ptr<const nlohmann::json::array_t*>())[std::strtoul(name.c_str(), nullptr, 10)], slots);
    }
  }
}

void EventPaths::extract(const nlohmann::json& event, Value* slots) const { fill_from_json(0, event, slots); }

// One pass over the event text: values on registered paths are decoded into slots, everything
// else is validated and skipped.
class EventTextScanner {
 public:
  EventTextScanner(const EventPaths& paths, std::string_view text, Value* slots, EventTextStorage* storage)
      : paths_(paths), p_(text.data()), end_(text.data() + text.size()), slots_(slots), storage_(storage) {}

  bool run(std::string* error) {
    skip_space();
    if (p_ >= end_ || *p_ != '{') return fail(error, "event is not a JSON object");
    if (!value(0, 0)) return fail(error, error_ ? error_ : "malformed JSON");
    skip_space();
    if (p_ != end_) return fail(error, "unexpected text after the event object");
    return true;
  }

 private:
  bool fail(std::string* error, const char* message) {
    if (error) *error = message;
    return false;
  }
  bool bad(const char* message) {
    if (!error_) error_ = message;
    return false;
  }

  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  const EventPaths::TrieNode* trie(std::uint32_t node) const {
    return node == kNoIndex ? nullptr : &paths_.nodes_[node];
  }

  bool value(std::uint32_t node, std::size_t depth) {
    if (depth > kMaxEventTextDepth) return bad("event nested too deeply");
    skip_space();
    if (p_ >= end_) return bad("truncated JSON");
    const EventPaths::TrieNode* n = trie(node);
    char c = *p_;
    if (n && n->slot != kNoIndex && (c == '{' || c == '[')) return capture(node, depth);
    switch (c) {
      case '{':
        return object(n && !n->children.empty() ? node : kNoIndex, depth);
      case '[':
        return array(n && !n->children.empty() ? node : kNoIndex, depth);
      case '"': {
        std::string_view s;
        if (!string(&s, n && n->slot != kNoIndex)) return false;
        if (n && n->slot != kNoIndex) slots_[n->slot] = Value::of_string(s);
        return true;
      }
      case 't':
        return word("true", 4, n, Value::of_bool(true));
      case 'f':
        return word("false", 5, n, Value::of_bool(false));
      case 'n':
        return word("null", 4, n, Value::null());
      default: {
        const bool wanted = n && n->slot != kNoIndex;
        double d = 0;
        if (!number(wanted ? &d : nullptr)) return false;
        if (wanted) slots_[n->slot] = Value::of_number(d);
        return true;
      }
    }
  }

  // A whole object/array is read through a slot: parse that span as JSON and keep it.
  bool capture(std::uint32_t node, std::size_t depth) {
    const char* start = p_;
    if (!value(kNoIndex, depth)) return false;
    auto parsed = nlohmann::json::parse(start, p_, nullptr, false);
    if (parsed.is_discarded()) return bad("malformed JSON");
    storage_->objects.push_back(std::move(parsed));
    paths_.fill_from_json(node, storage_->objects.back(), slots_);
    return true;
  }

  bool word(const char* text, std::size_t n, const EventPaths::TrieNode* node, Value v) {
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, text, n) != 0) return bad("malformed JSON literal");
    p_ += n;
    if (node && node->slot != kNoIndex) slots_[node->slot] = v;
    return true;
  }

  bool object(std::uint32_t node, std::size_t depth) {
    ++p_;  // '{'
    skip_space();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    const EventPaths::TrieNode* n = trie(node);
    for (;;) {
      skip_space();
      if (p_ >= end_ || *p_ != '"') return bad("expected an object key");
      std::string_view key;
      if (!string(&key, n != nullptr)) return false;
      skip_space();
      if (p_ >= end_ || *p_ != ':') return bad("expected ':'");
      ++p_;
      std::uint32_t next = n ? paths_.child(node, key) : kNoIndex;
      if (!value(next, depth + 1)) return false;
      skip_space();
      if (p_ >= end_) return bad("truncated JSON");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      return bad("expected ',' or '}'");
    }
  }

  bool array(std::uint32_t node, std::size_t depth) {
    ++p_;  // '['
    skip_space();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    const EventPaths::TrieNode* n = trie(node);
    for (std::size_t index = 0;; ++index) {
      std::uint32_t next = kNoIndex;
      if (n) {
        char digits[24];
        char* end = digits + sizeof digits;
        char* p = end;
        std::size_t v = index;
        do {
          *--p = static_cast<char>('0' + v % 10);
          v /= 10;
        } while (v);
        next = paths_.child(node, std::string_view(p, static_cast<std::size_t>(end - p)));
      }
      if (!value(next, depth + 1)) return false;
      skip_space();
      if (p_ >= end_) return bad("truncated JSON");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      return bad("expected ',' or ']'");
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool read_hex4(const char* at, unsigned* out) {
    if (end_ - at < 4) return false;
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex(at[i]);
      if (h < 0) return false;
      v = v * 16 + static_cast<unsigned>(h);
    }
    *out = v;
    return true;
  }

  static void append_utf8(unsigned cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Steps over one well-formed multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no
  // surrogates, nothing past U+10FFFF), as nlohmann's parser requires; false if malformed.
  bool utf8_sequence() {
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    const std::size_t left = static_cast<std::size_t>(end_ - p_);
    auto cont = [&](std::size_t i) { return i < left && (u[i] & 0xC0) == 0x80; };
    std::size_t n;
    if (u[0] >= 0xC2 && u[0] <= 0xDF) n = 2;
    else if (u[0] >= 0xE0 && u[0] <= 0xEF) n = 3;
    else if (u[0] >= 0xF0 && u[0] <= 0xF4) n = 4;
    else return false;
    for (std::size_t i = 1; i < n; ++i)
      if (!cont(i)) return false;
    if (u[0] == 0xE0 && u[1] < 0xA0) return false;   // overlong
    if (u[0] == 0xED && u[1] >= 0xA0) return false;  // surrogate
    if (u[0] == 0xF0 && u[1] < 0x90) return false;   // overlong
    if (u[0] == 0xF4 && u[1] >= 0x90) return false;  // past U+10FFFF
    p_ += n;
    return true;
  }

  // Reads a string at '"'. With `decode`, *out is its value (a view into the text when it has no
  // escapes); without, the string is only validated and skipped.
  bool string(std::string_view* out, bool decode) {
    ++p_;  // opening quote
    const char* start = p_;
    // Eight bytes at a time while none is a quote, a backslash, a control or a non-ASCII byte.
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    while (end_ - p_ >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p_, 8);
      const std::uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
      const std::uint64_t special = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                                    ((w - kOnes * 0x20) & ~w) | w;
      if (special & kHighs) break;
      p_ += 8;
    }
    while (p_ < end_) {
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        if (decode) *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c == '\\') break;
      if (c < 0x20) return bad("control character in string");
      if (c >= 0x80) {
        if (!utf8_sequence()) return bad("invalid UTF-8 in string");
        continue;
      }
      ++p_;
    }
    if (p_ >= end_) return bad("unterminated string");
    // Escapes: decode into storage.
    std::string decoded(start, static_cast<std::size_t>(p_ - start));
    while (p_ < end_) {
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        if (decode) {
          storage_->strings.push_back(std::move(decoded));
          *out = storage_->strings.back();
        }
        return true;
      }
      if (c < 0x20) return bad("control character in string");
      if (c >= 0x80) {
        const char* from = p_;
        if (!utf8_sequence()) return bad("invalid UTF-8 in string");
        decoded.append(from, static_cast<std::size_t>(p_ - from));
        continue;
      }
      if (c != '\\') {
        decoded.push_back(static_cast<char>(c));
        ++p_;
        continue;
      }
      if (end_ - p_ < 2) return bad("unterminated string");
      char e = p_[1];
      p_ += 2;
      switch (e) {
        case '"': decoded.push_back('"'); break;
        case '\\': decoded.push_back('\\'); break;
        case '/': decoded.push_back('/'); break;
        case 'b': decoded.push_back('\b'); break;
        case 'f': decoded.push_back('\f'); break;
        case 'n': decoded.push_back('\n'); break;
        case 'r': decoded.push_back('\r'); break;
        case 't': decoded.push_back('\t'); break;
        case 'u': {
          unsigned cp;
          if (!read_hex4(p_, &cp)) return bad("bad \\u escape");
          p_ += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low;
            if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u' || !read_hex4(p_ + 2, &low) || low < 0xDC00 ||
                low > 0xDFFF)
              return bad("unpaired surrogate in \\u escape");
            p_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return bad("unpaired surrogate in \\u escape");
          }
          append_utf8(cp, &decoded);
          break;
        }
        default:
          return bad("bad escape in string");
      }
    }
    return bad("unterminated string");
  }

  // JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?. Converted only when
  // `out` is given: exactly by the classic fast path (at most 15 digits, |power of ten| <= 22:
  // one correctly rounded multiplication or division) and by strtod otherwise, which in wasm is
  // slow (musl computes in software long double).
  bool number(double* out) {
    const char* start = p_;
    auto digit = [&]() { return p_ < end_ && *p_ >= '0' && *p_ <= '9'; };
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    if (!digit()) return bad("malformed JSON value");
    std::uint64_t mantissa = 0;
    int digits = 0, scale = 0;
    auto take = [&](bool fraction) {
      if (digits < 19) {
        if (mantissa != 0 || *p_ != '0') ++digits;
        mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p_ - '0');
        if (fraction) --scale;
      } else if (!fraction) {
        ++scale;  // digits past 19 only shift the magnitude (strtod handles these anyway)
      }
      ++p_;
    };
    if (*p_ == '0') {
      ++p_;
    } else {
      while (digit()) take(false);
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!digit()) return bad("malformed number");
      while (digit()) take(true);
    }
    int exponent = 0;
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      bool negative_exponent = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) negative_exponent = *p_++ == '-';
      if (!digit()) return bad("malformed number");
      while (digit()) {
        if (exponent < 100000) exponent = exponent * 10 + (*p_ - '0');
        ++p_;
      }
      if (negative_exponent) exponent = -exponent;
    }
    if (!out) return true;
    static const double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const int power = scale + exponent;
    if (digits <= 15 && power >= -22 && power <= 22) {
      double v = static_cast<double>(mantissa);
      v = power < 0 ? v / kPowersOfTen[-power] : v * kPowersOfTen[power];
      *out = negative ? -v : v;
      return true;
    }
    std::size_t len = static_cast<std::size_t>(p_ - start);
    char buf[64];
    if (len < sizeof buf) {
      std::memcpy(buf, start, len);
      buf[len] = '\0';
      *out = std::strtod(buf, nullptr);
    } else {
      *out = std::strtod(std::string(start, len).c_str(), nullptr);
    }
    return true;
  }

  const EventPaths& paths_;
  const char* p_;
  const char* end_;
  Value* slots_;
  EventTextStorage* storage_;
  const char* error_ = nullptr;
};

bool EventPaths::extract_text(std::string_view text, Value* slots, EventTextStorage* storage, std::string* error) const {
  EventTextScanner scanner(*this, text, slots, storage);
  return scanner.run(error);
}

}  // namespace touchpoint::rules
