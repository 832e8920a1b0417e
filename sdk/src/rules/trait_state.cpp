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

TraitState::TraitState(TraitKind kind, std::int64_t window_ms) : kind_(kind), window_(window_ms) {
  if (kind != TraitKind::kCount) d_ = std::make_unique<Details>();
}

void TraitState::sum_add(double x) {
  double t = d_->sum_ + x;
  if (std::fabs(d_->sum_) >= std::fabs(x)) d_->sum_error_ += (d_->sum_ - t) + x;
  else d_->sum_error_ += (x - t) + d_->sum_;
  d_->sum_ = t;
}

const TraitScalar* TraitState::intern(const TraitScalar& s) {
  auto it = d_->counts_.find(s);
  if (it == d_->counts_.end()) {
    if (d_->counts_.size() >= kMaxDistinctValues) return nullptr;
    it = d_->counts_.emplace(s, 0).first;
  }
  ++it->second;
  return &it->first;
}

void TraitState::release(const TraitScalar* s) {
  auto it = d_->counts_.find(*s);
  if (it != d_->counts_.end() && --it->second == 0) d_->counts_.erase(it);
}

void TraitState::push_entry(std::int64_t t, double number, const TraitScalar* scalar) {
  if (times_.size() >= kMaxWindowEntries) drop_oldest();
  times_.push_back(t);
  if (trait_kind_is_numeric(kind_)) {
    d_->numbers_.push_back(number);
    if (kind_ == TraitKind::kSum || kind_ == TraitKind::kAvg) sum_add(number);
    if (kind_ == TraitKind::kMin || kind_ == TraitKind::kMax) {
      bool is_max = kind_ == TraitKind::kMax;
      while (!d_->extremes_.empty() && (is_max ? d_->extremes_.back().second <= number : d_->extremes_.back().second >= number))
        d_->extremes_.pop_back();
      d_->extremes_.push_back({d_->pushed_, number});
    }
  }
  if (is_scalar_kind(kind_)) d_->scalars_.push_back(scalar);
  if (d_) ++d_->pushed_;
}

void TraitState::drop_oldest() {
  times_.pop_front();
  if (!d_) return;  // a count
  const std::uint64_t seq = d_->pushed_ - times_.size() - 1;
  if (trait_kind_is_numeric(kind_)) {
    double x = d_->numbers_.front();
    d_->numbers_.pop_front();
    if (kind_ == TraitKind::kSum || kind_ == TraitKind::kAvg) sum_add(-x);
    if (!d_->extremes_.empty() && d_->extremes_.front().first == seq) d_->extremes_.pop_front();
  }
  if (is_scalar_kind(kind_)) {
    release(d_->scalars_.front());
    d_->scalars_.pop_front();
  }
  if (times_.empty()) d_->sum_ = d_->sum_error_ = 0;  // an empty window sums to exactly 0
}

bool TraitState::add(std::int64_t t, const Value& v) {
  invalidate_cache();
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
    if (!d_->extreme_ || (kind_ == TraitKind::kMax ? x > *d_->extreme_ : x < *d_->extreme_)) d_->extreme_ = x;
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
      if (d_->first_) return false;
      d_->first_ = std::move(*scalar);
      break;
    case TraitKind::kLast:
      d_->last_ = std::move(*scalar);
      break;
    default: {
      auto it = d_->counts_.find(*scalar);
      if (it == d_->counts_.end()) {
        if (d_->counts_.size() >= kMaxDistinctValues) return false;
        it = d_->counts_.emplace(std::move(*scalar), 0).first;
      }
      ++it->second;
    }
  }
  ++count_;
  return true;
}

bool TraitState::expire_entries(std::int64_t t) {
  bool any = false;
  while (!times_.empty() && times_.front() <= t - window_) {
    drop_oldest();
    any = true;
  }
  if (any) invalidate_cache();
  return any;
}

void TraitState::refresh_cache() const {
  if (d_->cache_valid_) return;
  d_->cache_valid_ = true;
  d_->most_frequent_ = nullptr;
  d_->list_.clear();
  if (kind_ == TraitKind::kMostFrequent) {
    std::uint32_t best = 0;
    for (const auto& [scalar, count] : d_->counts_) {
      if (count > best) {  // ascending order: the first of equal counts is the smallest value
        best = count;
        d_->most_frequent_ = &scalar;
      }
    }
  } else if (kind_ == TraitKind::kUniqueList) {
    d_->list_.reserve(d_->counts_.size());
    for (const auto& entry : d_->counts_) d_->list_.push_back(entry.first.view());
  }
}

Value TraitState::aggregate_value() const {
  const bool empty = windowed() ? times_.empty() : count_ == 0;
  if (empty) return Value::null();
  switch (kind_) {
    case TraitKind::kSum:
      return Value::of_number(d_->sum_ + d_->sum_error_);
    case TraitKind::kAvg:
      return Value::of_number((d_->sum_ + d_->sum_error_) / static_cast<double>(windowed() ? times_.size() : count_));
    case TraitKind::kMin:
    case TraitKind::kMax:
      return Value::of_number(windowed() ? d_->extremes_.front().second : *d_->extreme_);
    case TraitKind::kFirst:
      return windowed() ? d_->scalars_.front()->view() : d_->first_->view();
    case TraitKind::kLast:
      return windowed() ? d_->scalars_.back()->view() : d_->last_->view();
    case TraitKind::kUniqueCount:
      return Value::of_number(static_cast<double>(d_->counts_.size()));
    case TraitKind::kMostFrequent:
      refresh_cache();
      return d_->most_frequent_ ? d_->most_frequent_->view() : Value::null();
    case TraitKind::kUniqueList:
      refresh_cache();
      return Value::of_items(d_->list_.data(), d_->list_.size());
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
      for (std::size_t i = start; i < times_.size(); ++i) sum += d_->numbers_[i];
      return kind_ == TraitKind::kSum ? sum : sum / static_cast<double>(n);
    }
    case TraitKind::kMin:
    case TraitKind::kMax: {
      double best = d_->numbers_[start];
      for (std::size_t i = start; i < times_.size(); ++i)
        best = kind_ == TraitKind::kMax ? std::max(best, d_->numbers_[i]) : std::min(best, d_->numbers_[i]);
      return best;
    }
    case TraitKind::kFirst:
      return d_->scalars_[start]->to_json();
    case TraitKind::kLast:
      return d_->scalars_.back()->to_json();
    default: {
      std::map<TraitScalar, std::uint32_t> counts;
      for (std::size_t i = start; i < times_.size(); ++i) ++counts[*d_->scalars_[i]];
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
      for (std::size_t i = 0; i < d_->numbers_.size(); ++i) xs.push_back(d_->numbers_[i]);
      out["x"] = std::move(xs);
    }
    if (is_scalar_kind(kind_)) {
      nlohmann::json vs = nlohmann::json::array();
      for (std::size_t i = 0; i < d_->scalars_.size(); ++i) vs.push_back(d_->scalars_[i]->to_json());
      out["v"] = std::move(vs);
    }
  } else {
    out["n"] = count_;
    if (!d_) return out;  // a count
    if (d_->extreme_) out["e"] = *d_->extreme_;
    if (d_->first_) out["first"] = d_->first_->to_json();
    if (d_->last_) out["last"] = d_->last_->to_json();
    if (!d_->counts_.empty()) {
      nlohmann::json cs = nlohmann::json::array();
      for (const auto& [scalar, count] : d_->counts_) cs.push_back({scalar.to_json(), count});
      out["c"] = std::move(cs);
    }
  }
  if (kind_ == TraitKind::kSum || kind_ == TraitKind::kAvg) out["s"] = {d_->sum_, d_->sum_error_};
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
    if (!d_) return true;  // a count
    if (auto e = state.find("e"); e != state.end()) {
      double x;
      if (!read_number(*e, &x)) return fail("bad trait extreme");
      d_->extreme_ = x;
    }
    for (const char* key : {"first", "last"}) {
      auto it = state.find(key);
      if (it == state.end()) continue;
      auto s = TraitScalar::from_json(*it);
      if (!s) return fail("bad trait first/last");
      (key[0] == 'f' ? d_->first_ : d_->last_) = std::move(*s);
    }
    if (auto c = state.find("c"); c != state.end()) {
      if (!c->is_array() || c->size() > kMaxDistinctValues) return fail("bad trait value counts");
      for (const auto& pair : *c) {
        std::int64_t k;
        if (!pair.is_array() || pair.size() != 2 || !read_int64(pair[1], &k) || k <= 0 || k > UINT32_MAX)
          return fail("bad trait value counts");
        auto s = TraitScalar::from_json(pair[0]);
        if (!s) return fail("bad trait value counts");
        d_->counts_[*s] = static_cast<std::uint32_t>(k);
      }
    }
    bool consistent = true;
    if (count_ > 0) {
      if ((kind_ == TraitKind::kMin || kind_ == TraitKind::kMax) && !d_->extreme_) consistent = false;
      if (kind_ == TraitKind::kFirst && !d_->first_) consistent = false;
      if (kind_ == TraitKind::kLast && !d_->last_) consistent = false;
      if ((kind_ == TraitKind::kMostFrequent || kind_ == TraitKind::kUniqueCount ||
           kind_ == TraitKind::kUniqueList) && d_->counts_.empty())
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
    d_->sum_ = sum;
    d_->sum_error_ = err;
  }
  invalidate_cache();
  return true;
}

std::size_t TraitState::memory_bytes() const {
  std::size_t bytes = sizeof(*this) + times_.capacity() * sizeof(std::int64_t);
  if (!d_) return bytes;
  bytes += sizeof(Details) + d_->numbers_.capacity() * sizeof(double) +
           d_->scalars_.capacity() * sizeof(void*) + d_->extremes_.capacity() * sizeof(std::pair<std::uint64_t, double>);
  for (const auto& entry : d_->counts_) bytes += 64 + sizeof(TraitScalar) + (entry.first.text.size() > 15 ? entry.first.text.capacity() : 0);
  bytes += d_->list_.capacity() * sizeof(Value);
  return bytes;
}

}  // namespace touchpoint::rules
