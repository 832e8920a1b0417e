#include "fault_mode.hpp"

#include <touchpoint/json_access.hpp>

#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

// Bounds keep a typo from parking a test run for days.
constexpr std::int64_t kMaxFaultDurationMs = 60LL * 60 * 1000;
constexpr std::int64_t kMaxHangMs = 120LL * 1000;
constexpr std::int64_t kMaxRetryAfterS = 24LL * 60 * 60;

std::optional<std::int64_t> read_int(const nlohmann::json& body, const char* key, std::int64_t min, std::int64_t max,
                                     std::string* error) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max) {
    *error = std::string(key) + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max);
    return std::nullopt;
  }
  return it->get<std::int64_t>();
}

}  // namespace

std::optional<std::string> FaultInjector::configure(const nlohmann::json& body) {
  if (!body.is_object()) return std::string("fault must be a JSON object");
  if (touchpoint::json_access::get_bool(body, "reset", false)) {
    std::lock_guard<std::mutex> lock(mutex_);
    configured_ = false;
    ++generation_;
    wake_.notify_all();
    return std::nullopt;
  }
  std::string error;
  const auto status = read_int(body, "status", 400, 599, &error);
  const auto retry_after = read_int(body, "retry_after_s", 0, kMaxRetryAfterS, &error);
  const auto hang_ms = read_int(body, "hang_ms", 1, kMaxHangMs, &error);
  const auto duration_ms = read_int(body, "duration_ms", 1, kMaxFaultDurationMs, &error);
  const auto count = read_int(body, "count", 1, 1000000, &error);
  if (!error.empty()) return error;
  if (!status && !hang_ms) return std::string("a fault needs \"status\" (400..599), \"hang_ms\", or \"reset\":true");
  if (retry_after && !status) return std::string("retry_after_s needs a status");

  std::lock_guard<std::mutex> lock(mutex_);
  configured_ = true;
  status_ = static_cast<int>(status.value_or(0));  // range-checked: 400..599
  retry_after_s_ = static_cast<int>(retry_after.value_or(-1));
  hang_ms_ = hang_ms.value_or(0);
  until_.reset();
  if (duration_ms) until_ = Clock::now() + std::chrono::milliseconds(*duration_ms);
  remaining_count_ = count;
  faulted_ = 0;
  ++generation_;
  wake_.notify_all();
  return std::nullopt;
}

bool FaultInjector::active_locked(Clock::time_point now) const {
  if (!configured_) return false;
  if (until_ && now >= *until_) return false;
  if (remaining_count_ && *remaining_count_ <= 0) return false;
  return true;
}

FaultDecision FaultInjector::next_batch_request() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_locked(Clock::now())) return {};
  if (remaining_count_) --*remaining_count_;
  ++faulted_;
  ++faulted_total_;
  return FaultDecision{status_, retry_after_s_, hang_ms_};
}

void FaultInjector::hang(std::int64_t ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t generation = generation_;
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_ || generation_ != generation; });
}

nlohmann::json FaultInjector::describe() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = Clock::now();
  nlohmann::json out = {{"active", active_locked(now)}, {"faulted", faulted_}, {"faulted_total", faulted_total_}};
  if (configured_) {
    out["status"] = status_ ? nlohmann::json(status_) : nlohmann::json(nullptr);
    out["retry_after_s"] = retry_after_s_ >= 0 ? nlohmann::json(retry_after_s_) : nlohmann::json(nullptr);
    out["hang_ms"] = hang_ms_;
    if (until_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*until_ - now).count();
      out["remaining_ms"] = left > 0 ? left : 0;
    } else {
      out["remaining_ms"] = nullptr;
    }
    out["remaining_count"] = remaining_count_ ? nlohmann::json(*remaining_count_) : nlohmann::json(nullptr);
  }
  return out;
}

void FaultInjector::shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  wake_.notify_all();
}

void register_fault_routes(httplib::Server& server, FaultInjector& faults) {
  server.Post("/__fault", [&faults](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return send_error(res, 400, "invalid_json", "fault body is not valid JSON");
    if (auto error = faults.configure(body)) return send_error(res, 400, "invalid_fault", *error);
    send_json(res, 200, faults.describe());
  });
  server.Get("/__fault", [&faults](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, faults.describe());
  });
}

}  // namespace touchpoint::collector
