// A validating JSON scanner that finds where values begin and end without building them, so a
// batch body is split into its events with memory proportional to the body, whatever its shape
// (300,000 `{}` cost a span each, not 300,000 nlohmann objects). Strict RFC 8259 grammar.
#pragma once
#include <cstddef>
#include <string_view>

namespace touchpoint::collector {

struct ScannedValue {
  std::size_t begin = 0;      // first byte of the value
  std::size_t end = 0;        // one past its last byte
  std::size_t depth = 0;      // deepest bracket nesting inside it (a scalar is 0, `{}` is 1)
  char kind = 0;              // first byte: '{', '[', '"', 't', 'f', 'n', or '-'/digit for numbers
};

// Skips whitespace (space, tab, CR, LF) from *pos.
void skip_json_whitespace(std::string_view text, std::size_t* pos);

// Scans the value starting at *pos (after whitespace). On success fills *out, moves *pos past it
// and returns true; on malformed JSON returns false. Iterative: any depth is safe.
bool scan_json_value(std::string_view text, std::size_t* pos, ScannedValue* out);

// nlohmann's type_name() for a scanned value's kind ("object", "array", "string", ...).
const char* json_kind_name(char kind);

}  // namespace touchpoint::collector
