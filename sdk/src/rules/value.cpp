#include "value.hpp"

#include <cmath>

namespace touchpoint::rules {

Value Value::of_json(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::null();
    case nlohmann::json::value_t::boolean:
      return Value::of_bool(*j.get_ptr<const bool*>());
    case nlohmann::json::value_t::number_integer:
      return Value::of_number(static_cast<double>(*j.get_ptr<const std::int64_t*>()));
    case nlohmann::json::value_t::number_unsigned:
      return Value::of_number(static_cast<double>(*j.get_ptr<const std::uint64_t*>()));
    case nlohmann::json::value_t::number_float:
      return Value::of_number(*j.get_ptr<const double*>());
    case nlohmann::json::value_t::string:
      return Value::of_string(*j.get_ptr<const std::string*>());
    case nlohmann::json::value_t::array: {
      Value v;
      v.kind = ValueKind::kArray;
      v.backing = Backing::kJson;
      v.json = &j;
      return v;
    }
    case nlohmann::json::value_t::object: {
      Value v;
      v.kind = ValueKind::kObject;
      v.backing = Backing::kJson;
      v.json = &j;
      return v;
    }
    default:  // binary / discarded never come from parsed JSON text
      return Value::undefined();
  }
}

std::size_t array_length(const Value& array) {
  if (array.kind != ValueKind::kArray) return 0;
  if (array.backing == Backing::kItems) return array.items.size;
  return array.json->size();
}

Value array_element(const Value& array, std::size_t index) {
  if (array.kind != ValueKind::kArray || index >= array_length(array)) return Value::undefined();
  if (array.backing == Backing::kItems) return array.items.data[index];
  return Value::of_json((*array.json)[index]);
}

namespace {
// JavaScript only treats canonical integer strings ("0", "17", not "017" or "+1") as array indices.
bool parse_index(std::string_view key, std::size_t* out) {
  if (key.empty() || key.size() > 15) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  std::size_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  *out = v;
  return true;
}
}  // namespace

Value member(const Value& base, std::string_view key) {
  if (base.kind == ValueKind::kArray) {
    std::size_t index = 0;
    if (!parse_index(key, &index)) return Value::undefined();
    return array_element(base, index);
  }
  if (base.kind != ValueKind::kObject) return Value::undefined();
  if (base.backing == Backing::kPair) {
    if (key == "current") return base.pair->current;
    if (key == "accumulator") return base.pair->accumulator;
    return Value::undefined();
  }
  // json-ok: kind kObject with json backing is only ever made from an is_object() json
  const auto& object = *base.json->get_ptr<const nlohmann::json::object_t*>();
  auto it = object.find(key);
  if (it == object.end()) return Value::undefined();
  return Value::of_json(it->second);
}

bool same_reference(const Value& a, const Value& b) {
  if (a.kind != b.kind || a.backing != b.backing) return false;
  switch (a.backing) {
    case Backing::kItems:
      return a.items.data == b.items.data && a.items.size == b.items.size;
    case Backing::kJson:
      return a.json == b.json;
    case Backing::kPair:
      return a.pair == b.pair;
    default:
      return false;
  }
}

nlohmann::json to_json(const Value& v) {
  switch (v.kind) {
    case ValueKind::kUndefined:
    case ValueKind::kNull:
      return nullptr;
    case ValueKind::kBool:
      return v.boolean;
    case ValueKind::kNumber: {
      double n = v.number;
      if (!std::isfinite(n)) return nullptr;
      if (n == std::floor(n) && std::fabs(n) <= 9007199254740992.0) return static_cast<std::int64_t>(n);
      return n;
    }
    case ValueKind::kString:
      return std::string(v.string_view());
    case ValueKind::kArray: {
      if (v.backing == Backing::kJson) return *v.json;
      nlohmann::json out = nlohmann::json::array();
      for (std::size_t i = 0; i < v.items.size; ++i) {
        const Value& e = v.items.data[i];
        // JSON.stringify writes undefined array elements as null.
        out.push_back(to_json(e));
      }
      return out;
    }
    case ValueKind::kObject: {
      if (v.backing == Backing::kJson) return *v.json;
      nlohmann::json out = nlohmann::json::object();
      // JSON.stringify drops undefined members.
      if (!v.pair->accumulator.is_undefined()) out["accumulator"] = to_json(v.pair->accumulator);
      if (!v.pair->current.is_undefined()) out["current"] = to_json(v.pair->current);
      return out;
    }
  }
  return nullptr;
}

std::string_view Scratch::keep(std::string s) {
  strings_.push_back(std::move(s));
  return strings_.back();
}

Value Scratch::keep_array(std::vector<Value> items) {
  arrays_.push_back(std::move(items));
  const auto& stored = arrays_.back();
  return Value::of_items(stored.data(), stored.size());
}

const ReducePair* Scratch::keep_pair(const ReducePair& p) {
  pairs_.push_back(p);
  return &pairs_.back();
}

const nlohmann::json* Scratch::keep_json(nlohmann::json j) {
  jsons_.push_back(std::move(j));
  return &jsons_.back();
}

void Scratch::clear() {
  if (!strings_.empty()) strings_.clear();
  if (!arrays_.empty()) arrays_.clear();
  if (!pairs_.empty()) pairs_.clear();
  if (!jsons_.empty()) jsons_.clear();
}

}  // namespace touchpoint::rules
