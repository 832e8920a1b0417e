// The runtime value of JsonLogic evaluation: JavaScript's data model (undefined, null, boolean,
// number, string, array, object) in 24 bytes, without ownership. Strings and arrays point into
// storage that outlives the evaluation: the compiled program, the event being processed, engine
// state, or a Scratch arena for values computed during one evaluation.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace touchpoint::rules {

enum class ValueKind : std::uint8_t { kUndefined, kNull, kBool, kNumber, kString, kArray, kObject };

struct Value;
struct ReducePair;

// Byte equality for the short strings rules compare (names, categories, paths): inline, where a
// memcmp call costs more than the comparison.
inline bool bytes_equal(const char* a, const char* b, std::size_t n) {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    std::uint64_t x, y;
    __builtin_memcpy(&x, a, 8);
    __builtin_memcpy(&y, b, 8);
    if (x != y) return false;
  }
  for (; n; --n)
    if (*a++ != *b++) return false;
  return true;
}

// Where the elements of an array / the members of an object live.
enum class Backing : std::uint8_t { kNone, kItems, kJson, kPair };

struct Value {
  ValueKind kind = ValueKind::kUndefined;
  Backing backing = Backing::kNone;
  union {
    bool boolean;
    double number;
    struct {
      const char* data;
      std::size_t size;
    } str;
    struct {
      const Value* data;
      std::size_t size;
    } items;
    const nlohmann::json* json;  // kArray / kObject backed by JSON
    const ReducePair* pair;      // kObject {"current", "accumulator"} inside reduce
  };

  Value() : number(0) {}
  static Value undefined() { return Value(); }
  static Value null() {
    Value v;
    v.kind = ValueKind::kNull;
    return v;
  }
  static Value of_bool(bool b) {
    Value v;
    v.kind = ValueKind::kBool;
    v.boolean = b;
    return v;
  }
  static Value of_number(double n) {
    Value v;
    v.kind = ValueKind::kNumber;
    v.number = n;
    return v;
  }
  static Value of_string(std::string_view s) {
    Value v;
    v.kind = ValueKind::kString;
    v.str.data = s.data();
    v.str.size = s.size();
    return v;
  }
  static Value of_items(const Value* data, std::size_t size) {
    Value v;
    v.kind = ValueKind::kArray;
    v.backing = Backing::kItems;
    v.items.data = data;
    v.items.size = size;
    return v;
  }
  static Value of_pair(const ReducePair* p) {
    Value v;
    v.kind = ValueKind::kObject;
    v.backing = Backing::kPair;
    v.pair = p;
    return v;
  }
  // Borrows `j` (scalars are copied out; strings, arrays and objects point into it).
  static Value of_json(const nlohmann::json& j);

  bool is_undefined() const { return kind == ValueKind::kUndefined; }
  bool is_nullish() const { return kind == ValueKind::kUndefined || kind == ValueKind::kNull; }
  std::string_view string_view() const { return {str.data, str.size}; }
};

// The synthetic object a reduce body sees as its data.
struct ReducePair {
  Value current;
  Value accumulator;
};

std::size_t array_length(const Value& array);
Value array_element(const Value& array, std::size_t index);
// Member `key` of an object or array (array keys are canonical indices "0", "1", ...);
// undefined when absent or when `base` has no members.
Value member(const Value& base, std::string_view key);

// Same identity test as JavaScript's === on objects: the same storage.
bool same_reference(const Value& a, const Value& b);

// Converts for output. undefined, NaN and infinities become null (as JSON.stringify does), numbers
// that are integers within 2^53 become JSON integers so they print without ".0".
nlohmann::json to_json(const Value& v);

// Storage for values computed during one evaluation (cat results, map/filter arrays, reduce
// scopes). Addresses stay stable until clear().
class Scratch {
 public:
  std::string_view keep(std::string s);
  Value keep_array(std::vector<Value> items);
  const ReducePair* keep_pair(const ReducePair& p);
  const nlohmann::json* keep_json(nlohmann::json j);
  void clear();

 private:
  std::deque<std::string> strings_;
  std::deque<std::vector<Value>> arrays_;
  std::deque<ReducePair> pairs_;
  std::deque<nlohmann::json> jsons_;
};

}  // namespace touchpoint::rules
