#include "touchpoint/consent.hpp"

#include "touchpoint/json_access.hpp"

namespace touchpoint {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

}  // namespace

const char* to_string(Consent c) {
  switch (c) {
    case Consent::kGranted: return "granted";
    case Consent::kDenied: return "denied";
    case Consent::kPending: break;
  }
  return "pending";
}

std::optional<Consent> parse_consent(std::string_view text, std::string* error) {
  for (Consent c : {Consent::kPending, Consent::kGranted, Consent::kDenied})
    if (text == to_string(c)) return c;
  if (error) {
    // dump() quotes and escapes the value, so garbage shows up readably.
    *error = "unknown consent state " +
             json(std::string(text.substr(0, 64))).dump(-1, ' ', false, json::error_handler_t::replace) +
             "; expected \"pending\", \"granted\" or \"denied\"";
  }
  return std::nullopt;
}

json ConsentAction::to_json() const {
  return {{"from", touchpoint::to_string(from)}, {"to", touchpoint::to_string(to)}, {"changed", changed},
          {"release", release.size()}, {"dropped", dropped}, {"wipe", wipe}, {"persist", persist}};
}

ConsentState::ConsentState(Consent initial) : initial_(initial), state_(initial) {}

ConsentOffer ConsentState::offer(json event) {
  ConsentOffer out;
  if (state_ == Consent::kGranted) return out;
  if (state_ == Consent::kDenied) {
    out.disposition = ConsentDisposition::kDiscard;
    return out;
  }
  out.disposition = ConsentDisposition::kHeld;
  const std::size_t bytes = event.dump(-1, ' ', false, json::error_handler_t::replace).size();
  if (bytes > kMaxPendingConsentBytes) {
    out.evicted = 1;  // larger than the whole budget: this event goes, the held ones stay
  } else {
    while (!held_.empty() &&
           (held_.size() + 1 > kMaxPendingConsentEvents || held_bytes_ + bytes > kMaxPendingConsentBytes)) {
      held_bytes_ -= held_.front().second;
      held_.pop_front();
      ++out.evicted;
    }
    held_.emplace_back(std::move(event), bytes);
    held_bytes_ += bytes;
  }
  evicted_total_ += out.evicted;
  return out;
}

ConsentAction ConsentState::set(Consent next) {
  ConsentAction a;
  a.from = state_;
  a.to = next;
  a.changed = next != state_;
  if (!a.changed) return a;
  state_ = next;
  if (next == Consent::kGranted) {
    a.persist = true;
    a.release.reserve(held_.size());
    for (auto& [event, bytes] : held_) a.release.push_back(std::move(event));
  } else if (next == Consent::kDenied) {
    a.dropped = held_.size();
    a.wipe = true;
  }
  if (next != Consent::kPending) {
    held_.clear();
    held_bytes_ = 0;
  }
  return a;
}

json ConsentState::to_json() const { return {{"v", kStateVersion}, {"state", to_string(state_)}}; }

bool ConsentState::restore(const json& state, std::string* error) {
  auto fail = [&](const std::string& why) {
    state_ = initial_;
    if (error) *error = "consent state: " + why;
    return false;
  };
  if (std::string envelope; !json_access::check_state_version(state, kStateVersion, &envelope)) return fail(envelope);
  auto s = state.find("state");
  if (s == state.end() || !s->is_string()) return fail("\"state\" must be a string");
  std::string why;
  auto c = parse_consent(s->get_ref<const std::string&>(), &why);
  if (!c) return fail(why);
  state_ = *c;
  return true;
}

}  // namespace touchpoint
