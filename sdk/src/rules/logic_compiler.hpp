// Compiles JsonLogic (plus the starts_with / ends_with extensions) into a Program, validating as
// it goes: unknown operators, wrong argument shapes and unresolvable variables become errors with
// the JSON pointer of the offending part.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "logic_program.hpp"

namespace touchpoint::rules {

// Nesting deeper than this is rejected: evaluation recurses along the tree, and no hand-written
// rule comes near it (json-logic-js has no limit and overflows the JS stack around 10k).
constexpr std::size_t kMaxLogicDepth = 128;

struct CompileError {
  std::string path;
  std::string message;
};

// How a literal var path at the engine root is read.
struct PathResolution {
  enum class Kind { kSlot, kContext, kError };
  Kind kind = Kind::kContext;
  std::uint32_t slot = 0;
  std::size_t consumed = 0;  // segments the slot covers; the rest is walked at run time
  std::string error;
};

// The engine's view of the context {event, traits, scores, grades, tags, stage, user}.
class PathResolver {
 public:
  virtual ~PathResolver() = default;
  virtual PathResolution resolve(const std::vector<std::string>& segments) = 0;
  // A path only known at run time: the predicate may read anything.
  virtual void note_dynamic_lookup() = 0;
  // The slot holding event.event, for indexing rules by event name.
  virtual std::optional<std::uint32_t> event_name_slot() const = 0;
  // A var over `slot` (with no further path) compared only with number literals. Reads of a score
  // that are not such comparisons make its time behaviour opaque to next_change_at().
  virtual void note_compared_with(std::uint32_t slot, const std::vector<double>& literals) = 0;
};

// Splits a JsonLogic var path like json-logic-js: String(path).split(".").
std::vector<std::string> split_var_path(const std::string& path);

// Escapes a key for use in a JSON pointer (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string json_pointer_token(const std::string& key);

class LogicCompiler {
 public:
  // `resolver` is null for plain JsonLogic (var reads the data passed to apply).
  LogicCompiler(Program* program, PathResolver* resolver, std::vector<CompileError>* errors);

  // A value expression (result used as a value).
  std::uint32_t compile(const nlohmann::json& rule, const std::string& pointer);
  // A predicate (only its truthiness matters, which allows event-name dispatch inside `or`).
  std::uint32_t compile_predicate(const nlohmann::json& rule, const std::string& pointer);

 private:
  std::uint32_t compile_node(const nlohmann::json& rule, const std::string& pointer, std::size_t depth,
                             bool boolean_context, bool scoped);
  std::uint32_t compile_operator(const std::string& op, const nlohmann::json& args, const std::string& pointer,
                                 std::size_t depth, bool boolean_context, bool scoped);
  std::uint32_t compile_var(const nlohmann::json& args, const std::string& pointer, std::size_t depth, bool scoped);
  std::uint32_t compile_missing(Op op, const nlohmann::json& args, const std::string& pointer, std::size_t depth,
                                bool scoped);
  std::uint32_t make_literal(const nlohmann::json& value);
  Value literal_value(const nlohmann::json& value);
  bool is_constant(const nlohmann::json& value) const;
  std::uint32_t add_node(Node node, const std::vector<std::uint32_t>& children);
  std::uint32_t add_path(const std::string& text);
  void maybe_index_or(std::uint32_t node_id);
  void note_comparisons(std::uint32_t node_id);
  void fuse_slot_leaf(std::uint32_t node_id);
  void error(const std::string& pointer, std::string message);

  Program* program_;
  PathResolver* resolver_;
  std::vector<CompileError>* errors_;
};

}  // namespace touchpoint::rules
