#include "trait_state.hpp"

#include <algorithm>
#include <cmath>

namespace touchpoint::rules {

namespace {

constexpr const char* kKindNames[] = {"count",         "sum",   "avg",  "min",          "max",
                                      "most_frequent", "first", "last", "unique_count", "unique_list"};

bool is_scalar_kind(TraitKind kind) {
  return kind == TraitKind::kMostFrequent || kind == TraitKind::kFirst || kind == TraitKind::kLast ||
         kind == TraitKind::kUniqueCount || kind == TraitKind::kUniqueList;
}

int kind_rank(ValueKind k) { return k == ValueKind::kBool ? 0 : k == ValueKind::kNumber ? 1 : 2; }

bool read_int64(const nlohmann::json& j, std::int64_t* out) {
  if (!j.is_number_integer()) return false;
  if (j.is_number_unsigned()) {
    std::uint64_t u = *j.get_ptr<const std::uint64_t*>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return false;
    *out = static_cast<std::int64_t>(u);
  } else {
    *out = *j.get_ptr<const std::int64_t*>();
  }
  return true;
}

bool read_number(const nlohmann::json& j, double* out) {
  if (!j.is_number()) return false;
  *out = j.get<double>();  // type checked above
  return true;
}

}  // namespace

std::optional<TraitKind> trait_kind_from_name(const std::string& name) {
  for (std::size_t i = 0; i < sizeof kKindNames / sizeof kKindNames[0]; ++i)
    if (name == kKindNames[i]) return static_cast<TraitKind>(i);
  return std::nullopt;
}

const char* trait_kind_name(TraitKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

bool trait_kind_is_numeric(TraitKind kind) {
  return kind == TraitKind::kSum || kind == TraitKind::kAvg || kind == TraitKind::kMin || kind == TraitKind::kMax;
}

std::optional<TraitScalar> TraitScalar::from_value(const Value& v) {
  TraitScalar s;
  s.kind = v.kind;
  switch (v.kind) {
    case ValueKind::kBool:
      s.boolean = v.boolean;
      return s;
    case ValueKind::kNumber:
      if (!std::isfinite(v.number)) return std::nullopt;
      s.number = v.number == 0 ? 0.0 : v.number;  // -0 and 0 are one value
      return s;
    case ValueKind::kString:
      if (v.str.size > kMaxTraitStringBytes) return std::nullopt;
      s.text.assign(v.str.data, v.str.size);
      return s;
    default:
      return std::nullopt;
  }
}

std::optional<TraitScalar> TraitScalar::from_json(const nlohmann::json& j) {
  if (!j.is_boolean() && !j.is_number() && !j.is_string()) return std::nullopt;
  return from_value(Value::of_json(j));
}

Value TraitScalar::view() const {
  if (kind == ValueKind::kBool) return Value::of_bool(boolean);
  if (kind == ValueKind::kNumber) return Value::of_number(number);
  return Value::of_string(text);
}

nlohmann::json TraitScalar::to_json() const { return rules::to_json(view()); }

bool TraitScalar::operator<(const TraitScalar& o) const {
  if (kind != o.kind) return kind_rank(kind) < kind_rank(o.kind);
  if (kind == ValueKind::kBool) return boolean < o.boolean;
  if (kind == ValueKind::kNumber) return number < o.number;
  return text < o.text;
}

TraitState::TraitState(TraitKind kind, std::int64_t window_ms) : kind_(kind), window_(window_ms) {}

void TraitState::sum_add(double x) {
  double t = sum_ + x;
  if (std::fabs(sum_) >= std::fabs(x)) sum_error_ += (sum_ - t) + x;
  else sum_error_ += (x - t) + sum_;
  sum_ = t;
}

const TraitScalar* TraitState::intern(const TraitScalar& s) {
  auto it = counts_.find(s);
  if (it == counts_.end()) {
    if (counts_.size() >= kMaxDistinctValues) return nullptr;
    it = counts_.emplace(s, 0).first;
  }
  ++it->second;
  return &it->first;
}

void TraitState::release(const TraitScalar* s) {
  auto it = counts_.find(*s);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

void TraitState::push_entry(std::int64_t t, double number, const TraitScalar* scalar) {
  if (times_.size() >= kMaxWindowEntries) drop_oldest();
  times_.push_back(t);
  if (trait_kind_is_numeric(kind_)) {
    numbers_.push_back(number);
    if (kind_ == TraitKind::kSum || kind_ == TraitKind::kAvg) sum_add(number);
    if (kind_ == TraitKind::kMin || kind_ == TraitKind::kMax) {
      bool is_max = kind_ == TraitKind::kMax;
      while (!extremes_.empty() && (is_max ? extremes_.back().second <= number : extremes_.back().second >= number))
        extremes_.pop_back();
      extremes_.push_back({pushed_, number});
    }
  }
  if (is_scalar_kind(kind_)) scalars_.push_back(scalar);
  ++pushed_;
}

void TraitState::drop_oldest() {
  std::uint64_t seq = pushed_ - times_.size();
  times_.pop_front();
  if (trait_kind_is_numeric(kind_)) {
    double x = numbers_.front();
    numbers_.pop_front();
    if (kind_ == TraitKind::kSum || kind_ == TraitKind::kAvg) sum_add(-x);
    if (!extremes_.empty() && extremes_.front().first == seq) extremes_.pop_front();
  }
  if (is_scalar_kind(kind_)) {
    release(scalars_.front());
    scalars_.pop_front();
  }
  if (times_.empty()) sum_ = sum_error_ = 0;  // an empty window sums to exactly 0
}

bool TraitState::add(std::int64_t t, const Value& v) {
  cache_valid_ = false;
  if (kind_ == TraitKind::kCount) {
    if (windowed()) push_entry(t, 0, nullptr);
    else ++count_;
    return true;
  }
  if (trait_kind_is_numeric(kind_)) {
    if (v.kind != ValueKind::kNumber || !std::isfinite(v.number)) return false;
    double x = v.number;
    if (windowed()) {
      push_entry(t, x, nullptr);
      return true;
    }
    ++count_;
    sum_add(x);
    if (!extreme_ || (kind_ == TraitKind::kMax ? x > *extreme_ : x < *extreme_)) extreme_ = x;
    return true;
  }
  auto scalar = TraitScalar::from_value(v);
  if (!scalar) return false;
  if (windowed()) {
    const TraitScalar* p = intern(*scalar);
    if (!p) return false;
    push_entry(t, 0, p);
    return true;
  }
  switch (kind_) {
    case TraitKind::kFirst:
      if (first_) return false;
      first_ = std::move(*scalar);
      break;
    case TraitKind::kLast:
      last_ = std::move(*scalar);
      break;
    default: {
      auto it = counts_.find(*scalar);
      if (it == counts_.end()) {
        if (counts_.size() >= kMaxDistinctValues) return false;
        it = counts_.emplace(std::move(*scalar), 0).first;
      }
      ++it->second;
    }
  }
  ++count_;
  return true;
}

bool TraitState::expire(std::int64_t t) {
  if (!windowed()) return false;
  bool any = false;
  while (!times_.empty() && times_.front() <= t - window_) {
    drop_oldest();
    any = true;
  }
  if (any) cache_valid_ = false;
  return any;
}

std::optional<std::int64_t> TraitState::next_expiry() const {
  if (!windowed() || times_.empty()) return std::nullopt;
  return times_.front() + window_;
}

void TraitState::refresh_cache() const {
  if (cache_valid_) return;
  cache_valid_ = true;
  most_frequent_ = nullptr;
  list_.clear();
  if (kind_ == TraitKind::kMostFrequent) {
    std::uint32_t best = 0;
    for (const auto& [scalar, count] : counts_) {
      if (count > best) {  // ascending order: the first of equal counts is the smallest value
        best = count;
        most_frequent_ = &scalar;
      }
    }
  } else if (kind_ == TraitKind::kUniqueList) {
    list_.reserve(counts_.size());
    for (const auto& entry : counts_) list_.push_back(entry.first.view());
  }
}

Value TraitState::value() const {
  const bool empty = windowed() ? times_.empty() : count_ == 0;
  if (kind_ == TraitKind::kCount)
    return Value::of_number(static_cast<double>(windowed() ? times_.size() : count_));
  if (empty) return Value::null();
  switch (kind_) {
    case TraitKind::kSum:
      return Value::of_number(sum_ + sum_error_);
    case TraitKind::kAvg:
      return Value::of_number((sum_ + sum_error_) / static_cast<double>(windowed() ? times_.size() : count_));
    case TraitKind::kMin:
    case TraitKind::kMax:
      return Value::of_number(windowed() ? extremes_.front().second : *extreme_);
    case TraitKind::kFirst:
      return windowed() ? scalars_.front()->view() : first_->view();
    case TraitKind::kLast:
      return windowed() ? scalars_.back()->view() : last_->view();
    case TraitKind::kUniqueCount:
      return Value::of_number(static_cast<double>(counts_.size()));
    case TraitKind::kMostFrequent:
      refresh_cache();
      return most_frequent_ ? most_frequent_->view() : Value::null();
    case TraitKind::kUniqueList:
      refresh_cache();
      return Value::of_items(list_.data(), list_.size());
    default:
      return Value::null();
  }
}

nlohmann::json TraitState::value_json() const { return to_json(value()); }

nlohmann::json TraitState::value_json_at(std::int64_t t) const {
  if (!windowed() || times_.empty() || times_.front() > t - window_) return value_json();
  std::size_t start = 0;
  while (start < times_.size() && times_[start] <= t - window_) ++start;
  const std::size_t n = times_.size() - start;
  if (kind_ == TraitKind::kCount) return n;
  if (n == 0) return nullptr;
  switch (kind_) {
    case TraitKind::kSum:
    case TraitKind::kAvg: {
      double sum = 0;
      for (std::size_t i = start; i < times_.size(); ++i) sum += numbers_[i];
      return kind_ == TraitKind::kSum ? sum : sum / static_cast<double>(n);
    }
    case TraitKind::kMin:
    case TraitKind::kMax: {
      double best = numbers_[start];
      for (std::size_t i = start; i < times_.size(); ++i)
        best = kind_ == TraitKind::kMax ? std::max(best, numbers_[i]) : std::min(best, numbers_[i]);
      return best;
    }
    case TraitKind::kFirst:
      return scalars_[start]->to_json();
    case TraitKind::kLast:
      return scalars_.back()->to_json();
    default: {
      std::map<TraitScalar, std::uint32_t> counts;
      for (std::size_t i = start; i < times_.size(); ++i) ++counts[*scalars_[i]];
      if (kind_ == TraitKind::kUniqueCount) return counts.size();
      nlohmann::json out = nlohmann::json::array();
      if (kind_ == TraitKind::kUniqueList) {
        for (const auto& entry : counts) out.push_back(entry.first.to_json());
        return out;
      }
      const TraitScalar* best = nullptr;
      std::uint32_t best_count = 0;
      for (const auto& [scalar, count] : counts)
        if (count > best_count) best_count = count, best = &scalar;
      return best->to_json();
    }
  }
}

nlohmann::json TraitState::snapshot() const {
  nlohmann::json out = nlohmann::json::object();
  if (windowed()) {
    nlohmann::json times = nlohmann::json::array();
    for (std::size_t i = 0; i < times_.size(); ++i) times.push_back(times_[i]);
    out["t"] = std::move(times);
    if (trait_kind_is_numeric(kind_)) {
      nlohmann::json xs = nlohmann::json::array();
      for (std::size_t i = 0; i < numbers_.size(); ++i) xs.push_back(numbers_[i]);
      out["x"] = std::move(xs);
    }
    if (is_scalar_kind(kind_)) {
      nlohmann::json vs = nlohmann::json::array();
      for (std::size_t i = 0; i < scalars_.size(); ++i) vs.push_back(scalars_[i]->to_json());
      out["v"] = std::move(vs);
    }
  } else {
    out["n"] = count_;
    if (extreme_) out["e"] = *extreme_;
    if (first_) out["first"] = first_->to_json();
    if (last_) out["last"] = last_->to_json();
    if (!counts_.empty()) {
      nlohmann::json cs = nlohmann::json::array();
      for (const auto& [scalar, count] : counts_) cs.push_back({scalar.to_json(), count});
      out["c"] = std::move(cs);
    }
  }
  if (kind_ == TraitKind::kSum || kind_ == TraitKind::kAvg) out["s"] = {sum_, sum_error_};
  return out;
}

bool TraitState::restore(const nlohmann::json& state, std::string* error) {
  *this = TraitState(kind_, window_);
  auto fail = [&](const char* message) {
    *error = message;
    *this = TraitState(kind_, window_);
    return false;
  };
  if (!state.is_object()) return fail("trait state is not an object");
  if (windowed()) {
    auto t = state.find("t");
    if (t == state.end() || !t->is_array() || t->size() > kMaxWindowEntries) return fail("bad trait window times");
    const nlohmann::json* xs = nullptr;
    const nlohmann::json* vs = nullptr;
    if (trait_kind_is_numeric(kind_)) {
      auto it = state.find("x");
      if (it == state.end() || !it->is_array() || it->size() != t->size()) return fail("bad trait window numbers");
      xs = &*it;
    }
    if (is_scalar_kind(kind_)) {
      auto it = state.find("v");
      if (it == state.end() || !it->is_array() || it->size() != t->size()) return fail("bad trait window values");
      vs = &*it;
    }
    std::int64_t previous = INT64_MIN;
    for (std::size_t i = 0; i < t->size(); ++i) {
      std::int64_t when;
      if (!read_int64((*t)[i], &when) || when < previous) return fail("bad trait window times");
      previous = when;
      double x = 0;
      const TraitScalar* scalar = nullptr;
      if (xs && (!read_number((*xs)[i], &x) || !std::isfinite(x))) return fail("bad trait window numbers");
      if (vs) {
        auto s = TraitScalar::from_json((*vs)[i]);
        if (!s || !(scalar = intern(*s))) return fail("bad trait window values");
      }
      push_entry(when, x, scalar);
    }
  } else {
    auto n = state.find("n");
    std::int64_t count = 0;
    if (n == state.end() || !read_int64(*n, &count) || count < 0) return fail("bad trait count");
    count_ = static_cast<std::uint64_t>(count);
    if (auto e = state.find("e"); e != state.end()) {
      double x;
      if (!read_number(*e, &x)) return fail("bad trait extreme");
      extreme_ = x;
    }
    for (const char* key : {"first", "last"}) {
      auto it = state.find(key);
      if (it == state.end()) continue;
      auto s = TraitScalar::from_json(*it);
      if (!s) return fail("bad trait first/last");
      (key[0] == 'f' ? first_ : last_) = std::move(*s);
    }
    if (auto c = state.find("c"); c != state.end()) {
      if (!c->is_array() || c->size() > kMaxDistinctValues) return fail("bad trait value counts");
      for (const auto& pair : *c) {
        std::int64_t k;
        if (!pair.is_array() || pair.size() != 2 || !read_int64(pair[1], &k) || k <= 0 || k > UINT32_MAX)
          return fail("bad trait value counts");
        auto s = TraitScalar::from_json(pair[0]);
        if (!s) return fail("bad trait value counts");
        counts_[*s] = static_cast<std::uint32_t>(k);
      }
    }
    bool consistent = true;
    if (count_ > 0) {
      if ((kind_ == TraitKind::kMin || kind_ == TraitKind::kMax) && !extreme_) consistent = false;
      if (kind_ == TraitKind::kFirst && !first_) consistent = false;
      if (kind_ == TraitKind::kLast && !last_) consistent = false;
      if ((kind_ == TraitKind::kMostFrequent || kind_ == TraitKind::kUniqueCount ||
           kind_ == TraitKind::kUniqueList) && counts_.empty())
        consistent = false;
    }
    if (!consistent) return fail("trait state does not match its kind");
  }
  if (kind_ == TraitKind::kSum || kind_ == TraitKind::kAvg) {
    auto s = state.find("s");
    double sum, err;
    if (s == state.end() || !s->is_array() || s->size() != 2 || !read_number((*s)[0], &sum) ||
        !read_number((*s)[1], &err) || !std::isfinite(sum) || !std::isfinite(err))
      return fail("bad trait sum");
    sum_ = sum;
    sum_error_ = err;
  }
  cache_valid_ = false;
  return true;
}

std::size_t TraitState::memory_bytes() const {
  std::size_t bytes = sizeof(*this);
  bytes += times_.capacity() * sizeof(std::int64_t) + numbers_.capacity() * sizeof(double) +
           scalars_.capacity() * sizeof(void*) + extremes_.capacity() * sizeof(std::pair<std::uint64_t, double>);
  for (const auto& entry : counts_) bytes += 64 + sizeof(TraitScalar) + (entry.first.text.size() > 15 ? entry.first.text.capacity() : 0);
  bytes += list_.capacity() * sizeof(Value);
  return bytes;
}

}  // namespace touchpoint::rules
