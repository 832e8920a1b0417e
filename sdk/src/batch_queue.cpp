#include "touchpoint/batch_queue.hpp"

#include <algorithm>
#include <set>

#include "touchpoint/json_access.hpp"

namespace touchpoint {

using nlohmann::json;

json DropCounts::to_json() const {
  json j = json::object();
  if (queue_full) j["queue_full"] = queue_full;
  if (rejected) j["rejected"] = rejected;
  if (too_large) j["too_large"] = too_large;
  if (storage_full) j["storage_full"] = storage_full;
  return j;
}

DropCounts DropCounts::from_json(const json& j) {
  DropCounts d;
  if (!j.is_object()) return d;
  auto read = [&](const char* k) -> std::uint64_t {
    auto it = j.find(k);
    return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
  };
  d.queue_full = read("queue_full");
  d.rejected = read("rejected");
  d.too_large = read("too_large");
  d.storage_full = read("storage_full");
  return d;
}

BatchQueue::BatchQueue(BatchQueueConfig config) : config_(config) {}

void BatchQueue::clear() {
  batches_.clear();
  pending_.clear();
  pending_keys_.clear();
  pending_bytes_ = total_events_ = total_bytes_ = 0;
  oldest_pending_at_ = 0;
}

void BatchQueue::push(std::string event_json, std::int64_t now, std::string key) {
  if (pending_.empty()) oldest_pending_at_ = now;
  pending_bytes_ += event_json.size();
  total_bytes_ += event_json.size();
  ++total_events_;
  pending_.push_back(std::move(event_json));
  pending_keys_.push_back(std::move(key));
  enforce_bounds();
}

std::size_t BatchQueue::shed(std::size_t n) {
  std::size_t freed = 0;
  for (; freed < n && total_events_ > 0; ++freed) {
    const std::size_t before = total_events_;
    drop_front_event(&DropCounts::storage_full);
    if (total_events_ == before) break;  // only events in flight are left
  }
  return freed;
}

std::size_t BatchQueue::release(const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  const std::set<std::string> wanted(keys.begin(), keys.end());
  std::size_t n = 0;
  for (std::size_t i = 0; i < pending_.size();) {
    if (!pending_keys_[i].empty() && wanted.count(pending_keys_[i])) {
      pending_bytes_ -= pending_[i].size();
      total_bytes_ -= pending_[i].size();
      --total_events_;
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
      pending_keys_.erase(pending_keys_.begin() + static_cast<std::ptrdiff_t>(i));
      ++n;
    } else {
      ++i;
    }
  }
  for (auto it = batches_.begin(); it != batches_.end();) {
    if (!it->in_flight) {
      for (std::size_t i = 0; i < it->events.size();) {
        if (!it->keys[i].empty() && wanted.count(it->keys[i])) {
          it->bytes -= it->events[i].size();
          total_bytes_ -= it->events[i].size();
          --total_events_;
          it->events.erase(it->events.begin() + static_cast<std::ptrdiff_t>(i));
          it->keys.erase(it->keys.begin() + static_cast<std::ptrdiff_t>(i));
          ++n;
        } else {
          ++i;
        }
      }
    }
    if (it->events.empty()) {
      dropped_unreported_.add(it->carried);  // the counts still go out with a later batch
      it = batches_.erase(it);
    } else {
      ++it;
    }
  }
  return n;
}

std::vector<std::string> BatchQueue::take_dropped_keys() {
  std::vector<std::string> out;
  out.swap(dropped_keys_);
  return out;
}

std::vector<std::string> BatchQueue::keys(bool in_flight_only) const {
  std::vector<std::string> out;
  for (const auto& b : batches_)
    if (!in_flight_only || b.in_flight)
      for (const auto& k : b.keys)
        if (!k.empty()) out.push_back(k);
  if (!in_flight_only)
    for (const auto& k : pending_keys_)
      if (!k.empty()) out.push_back(k);
  return out;
}

void BatchQueue::enforce_bounds() {
  while ((total_events_ > config_.max_events || total_bytes_ > config_.max_bytes) && total_events_ > 1) {
    const std::size_t before = total_events_;
    drop_front_event(&DropCounts::queue_full);
    if (total_events_ == before) break;  // everything left is in flight: nothing we may drop
  }
}

// Drop policy: the oldest event that is not in flight goes first (events already on the wire may
// still arrive, so dropping them frees nothing for sure). Pending events are newer than any batch,
// so batches waiting for a retry are trimmed before pending events.
void BatchQueue::drop_front_event(std::uint64_t DropCounts::*reason) {
  for (auto it = batches_.begin(); it != batches_.end(); ++it) {
    if (it->in_flight || it->events.empty()) continue;
    const std::size_t sz = it->events.front().size();
    it->events.erase(it->events.begin());
    if (!it->keys.front().empty()) dropped_keys_.push_back(std::move(it->keys.front()));
    it->keys.erase(it->keys.begin());
    it->bytes -= sz;
    total_bytes_ -= sz;
    --total_events_;
    ++(dropped_unreported_.*reason);
    ++(dropped_total_.*reason);
    if (it->events.empty()) {
      report_drops(it->carried);
      batches_.erase(it);
    }
    return;
  }
  if (!pending_.empty()) {
    const std::size_t sz = pending_.front().size();
    pending_.pop_front();
    if (!pending_keys_.front().empty()) dropped_keys_.push_back(std::move(pending_keys_.front()));
    pending_keys_.pop_front();
    pending_bytes_ -= sz;
    total_bytes_ -= sz;
    --total_events_;
    ++(dropped_unreported_.*reason);
    ++(dropped_total_.*reason);
  }
}

void BatchQueue::form_batches(std::int64_t now, bool force) {
  while (!pending_.empty()) {
    const bool due = force || pending_.size() >= config_.flush_at || pending_bytes_ >= config_.flush_bytes ||
                     now - oldest_pending_at_ >= config_.flush_interval_ms;
    if (!due) return;
    // A backlog (more waiting than one batch of flush_at: a burst, an outage) is packed up to
    // flush_bytes per batch: every request costs the page a fetch() and an answer, so a 5,000-event
    // burst goes out in ~15 requests instead of 250.
    const std::size_t cap = pending_.size() > config_.flush_at ? std::max(config_.flush_at, config_.backlog_batch_events)
                                                               : config_.flush_at;
    Batch b;
    b.id = next_batch_id_++;
    while (!pending_.empty() && b.events.size() < cap &&
           (b.events.empty() || b.bytes + pending_.front().size() <= config_.flush_bytes)) {
      b.bytes += pending_.front().size();
      pending_bytes_ -= pending_.front().size();
      b.events.push_back(std::move(pending_.front()));
      b.keys.push_back(std::move(pending_keys_.front()));
      pending_.pop_front();
      pending_keys_.pop_front();
    }
    b.carried = dropped_unreported_;
    dropped_unreported_ = DropCounts{};
    drop_report_refused_ = false;
    batches_.push_back(std::move(b));
    // The remaining events were queued after the ones just batched; their own age restarts the
    // interval clock conservatively at `now` (we do not keep per-event times).
    if (!pending_.empty()) oldest_pending_at_ = now;
  }
  // Drops left over with no event to ride along (the batch carrying them was rejected and nothing
  // is pending): a waiting batch takes them, else a batch of no events carries them alone.
  if (dropped_unreported_.any() && pending_.empty() && !drop_report_refused_) {
    for (auto& b : batches_)
      if (!b.in_flight) {
        b.carried.add(dropped_unreported_);
        dropped_unreported_ = DropCounts{};
        return;
      }
    Batch report;
    report.id = next_batch_id_++;
    report.carried = dropped_unreported_;
    report.not_before = now;
    dropped_unreported_ = DropCounts{};
    batches_.push_back(std::move(report));
  }
}

void BatchQueue::report_drops(const DropCounts& d) { dropped_unreported_.add(d); }

void BatchQueue::carrier_rejected(const Batch& b) {
  report_drops(b.carried);
  // A batch of no events refused: a report of its own would be refused again, in a tight loop
  // (a 401 for the write key). The counts wait for the next batch of events.
  if (b.events.empty()) drop_report_refused_ = true;
}

std::vector<std::uint64_t> BatchQueue::sendable(std::int64_t now, bool unloading) const {
  std::vector<std::uint64_t> out;
  std::size_t in_flight = 0;
  for (const auto& b : batches_) in_flight += b.in_flight ? 1 : 0;
  for (const auto& b : batches_) {
    if (b.in_flight) continue;
    if (!unloading) {
      if (in_flight + out.size() >= config_.max_in_flight) break;
      if (b.not_before > now) continue;
    }
    out.push_back(b.id);
  }
  return out;
}

const Batch* BatchQueue::find(std::uint64_t id) const {
  for (const auto& b : batches_)
    if (b.id == id) return &b;
  return nullptr;
}

void BatchQueue::mark_in_flight(std::uint64_t id, std::int64_t now) {
  for (auto& b : batches_)
    if (b.id == id) {
      b.in_flight = true;
      b.sent_at = now;
    }
}

std::size_t BatchQueue::expire_in_flight(std::int64_t now) {
  std::size_t n = 0;
  for (auto& b : batches_)
    if (b.in_flight && now - b.sent_at >= config_.in_flight_timeout_ms) {
      b.in_flight = false;
      ++n;
    }
  return n;
}

DeliveryOutcome BatchQueue::on_result(std::uint64_t id, int status, std::int64_t retry_after_ms, std::int64_t now,
                                      Random& rng) {
  return on_result(id, classify_status(status), retry_after_ms, now, rng);
}

std::size_t BatchQueue::resume(std::int64_t now, Random& rng) {
  resumed_at_ = now;
  const std::int64_t due = now + rng.uniform(limits::kResumeJitterMs);  // inclusive bound
  std::size_t n = 0;
  for (auto& b : batches_) {
    if (b.in_flight || b.not_before <= due) continue;
    b.not_before = due;
    b.attempts = 0;
    ++n;
  }
  return n;
}

DeliveryOutcome BatchQueue::on_result(std::uint64_t id, DeliveryAction action, std::int64_t retry_after_ms,
                                      std::int64_t now, Random& rng) {
  auto it = std::find_if(batches_.begin(), batches_.end(), [&](const Batch& b) { return b.id == id; });
  if (it == batches_.end()) return {"unknown_batch", 0, 0};
  DeliveryOutcome out;
  out.events = it->events.size();
  auto remove = [&](std::deque<Batch>::iterator at) {
    total_events_ -= at->events.size();
    total_bytes_ -= at->bytes;
    batches_.erase(at);
  };
  switch (action) {
    case DeliveryAction::kDone:
      out.action = "done";
      remove(it);
      break;
    case DeliveryAction::kRetry:
      out.action = "retry";
      it->in_flight = false;
      // Sent before the network came back: its failure says nothing about the new network. (A
      // batch sent in the same ms after resume() had its attempts reset by it anyway.)
      if (it->sent_at <= resumed_at_) it->attempts = 0;
      ++it->attempts;
      it->not_before = now + retry_delay_ms(it->attempts, retry_after_ms, rng);
      out.retry_at = it->not_before;
      break;
    case DeliveryAction::kSplit: {
      if (it->events.size() <= 1) {
        out.action = "drop";
        carrier_rejected(*it);
        dropped_unreported_.too_large += it->events.size();
        dropped_total_.too_large += it->events.size();
        remove(it);
        break;
      }
      out.action = "split";
      Batch second;
      second.id = next_batch_id_++;
      const std::size_t half = it->events.size() / 2;
      for (std::size_t i = half; i < it->events.size(); ++i) {
        second.bytes += it->events[i].size();
        second.events.push_back(std::move(it->events[i]));
        second.keys.push_back(std::move(it->keys[i]));
      }
      it->events.resize(half);
      it->keys.resize(half);
      it->bytes -= second.bytes;
      it->in_flight = false;
      it->not_before = now;
      second.not_before = now;
      batches_.insert(it + 1, std::move(second));
      break;
    }
    case DeliveryAction::kDrop:
      out.action = "drop";
      carrier_rejected(*it);
      dropped_unreported_.rejected += it->events.size();
      dropped_total_.rejected += it->events.size();
      remove(it);
      break;
  }
  return out;
}

std::optional<std::int64_t> BatchQueue::next_wake() const {
  std::optional<std::int64_t> wake;
  auto consider = [&](std::int64_t t) { if (!wake || t < *wake) wake = t; };
  if (!pending_.empty()) consider(oldest_pending_at_ + config_.flush_interval_ms);
  std::size_t in_flight = 0;
  for (const auto& b : batches_) {
    if (b.in_flight) {
      ++in_flight;
      consider(b.sent_at + config_.in_flight_timeout_ms);
    }
  }
  if (in_flight < config_.max_in_flight)
    for (const auto& b : batches_)
      if (!b.in_flight) consider(b.not_before);
  return wake;
}

json BatchQueue::header() const {
  json batches = json::array();
  for (const auto& b : batches_)
    batches.push_back({{"id", b.id}, {"n", b.events.size()}, {"attempts", b.attempts}, {"not_before", b.not_before},
                       {"carried", b.carried.to_json()}});
  return {{"batches", std::move(batches)},
          {"pending", pending_.size()},
          {"oldest_pending_at", oldest_pending_at_},
          {"next_batch_id", next_batch_id_},
          {"dropped_unreported", dropped_unreported_.to_json()},
          {"dropped_total", dropped_total_.to_json()}};
}

std::vector<const std::string*> BatchQueue::event_keys() const {
  std::vector<const std::string*> out;
  out.reserve(total_events_);
  for (const auto& b : batches_)
    for (const auto& k : b.keys) out.push_back(&k);
  for (const auto& k : pending_keys_) out.push_back(&k);
  return out;
}

std::vector<const std::string*> BatchQueue::event_lines() const {
  std::vector<const std::string*> out;
  out.reserve(total_events_);
  for (const auto& b : batches_)
    for (const auto& e : b.events) out.push_back(&e);
  for (const auto& e : pending_) out.push_back(&e);
  return out;
}

bool BatchQueue::restore(const json& h, std::vector<std::string> lines, std::string* error, std::vector<std::string> keys) {
  clear();
  keys.resize(lines.size());
  auto fail = [&](const std::string& why) {
    clear();
    if (error) *error = why;
    return false;
  };
  if (!h.is_object()) return fail("queue header is not an object");
  auto bit = h.find("batches");
  auto pit = h.find("pending");
  if (bit == h.end() || !bit->is_array() || pit == h.end() || !pit->is_number_unsigned())
    return fail("queue header lacks batches/pending");
  std::size_t expected = pit->get<std::size_t>();
  for (const auto& b : *bit) {
    if (!json_access::member(b, "n").is_number_unsigned()) return fail("queue header has a malformed batch");
    const std::uint64_t n = json_access::get_uint(b, "n", 0);
    if (n > lines.size() || expected > lines.size()) return fail("queue header announces more events than are stored");
    expected += static_cast<std::size_t>(n);
  }
  if (expected != lines.size())
    return fail("queue header announces " + std::to_string(expected) + " events but " + std::to_string(lines.size()) +
                " are stored");
  std::size_t li = 0;
  std::uint64_t max_id = 0;
  for (const auto& bj : *bit) {
    Batch b;
    b.id = json_access::get_uint(bj, "id", 0);
    if (b.id == 0) b.id = max_id + 1;
    max_id = std::max(max_id, b.id);
    b.attempts = static_cast<int>(json_access::get_int(bj, "attempts", 0));
    b.not_before = json_access::get_int(bj, "not_before", 0);
    b.carried = DropCounts::from_json(json_access::member(bj, "carried"));
    const std::size_t n = static_cast<std::size_t>(json_access::get_uint(bj, "n", 0));
    for (std::size_t k = 0; k < n; ++k) {
      b.bytes += lines[li].size();
      b.keys.push_back(std::move(keys[li]));
      b.events.push_back(std::move(lines[li++]));
    }
    total_events_ += b.events.size();
    total_bytes_ += b.bytes;
    if (!b.events.empty() || b.carried.any()) batches_.push_back(std::move(b));  // a drop report rides alone
  }
  for (; li < lines.size(); ++li) {
    pending_bytes_ += lines[li].size();
    total_bytes_ += lines[li].size();
    ++total_events_;
    pending_.push_back(std::move(lines[li]));
    pending_keys_.push_back(std::move(keys[li]));
  }
  oldest_pending_at_ = json_access::get_int(h, "oldest_pending_at", 0);
  const std::uint64_t nb = json_access::get_uint(h, "next_batch_id", 1);
  next_batch_id_ = std::max(nb, max_id + 1);
  dropped_unreported_ = DropCounts::from_json(json_access::member(h, "dropped_unreported"));
  dropped_total_ = DropCounts::from_json(json_access::member(h, "dropped_total"));
  enforce_bounds();
  return true;
}

}  // namespace touchpoint
