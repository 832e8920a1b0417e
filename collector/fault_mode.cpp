#include "fault_mode.hpp"

#include <touchpoint/json_access.hpp>

#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

// Bounds keep a typo from parking a test run for days.
constexpr std::int64_t kMaxFaultDurationMs = 60LL * 60 * 1000;
constexpr std::int64_t kMaxHangMs = 120LL * 1000;
constexpr std::int64_t kMaxRetryAfterS = 24LL * 60 * 60;
constexpr std::size_t kMaxFaultBodyBytes = 64 * 1024;
constexpr std::size_t kMaxLocationBytes = 2048;

// What a captive portal (hotel, airport, shop Wi-Fi) answers any request with until the visitor
// logs in: 200 and a login page.
constexpr const char* kCaptivePortalHtml =
    "<!DOCTYPE html><html><head><title>Wi-Fi login</title></head><body><h1>Welcome</h1>"
    "<form method=\"post\" action=\"/login\"><input name=\"room\"><button>Connect</button></form></body></html>\n";

bool is_redirect(std::int64_t s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

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
  const auto redirect = read_int(body, "redirect", 300, 399, &error);
  if (!error.empty()) return error;
  if (redirect && !is_redirect(*redirect)) return std::string("redirect must be 301, 302, 303, 307 or 308");
  const bool html200 = touchpoint::json_access::get_bool(body, "html200", false);
  const nlohmann::json& body200 = touchpoint::json_access::member(body, "body200");
  if (!body200.is_null() && (!body200.is_string() || body200.get_ref<const std::string&>().size() > kMaxFaultBodyBytes))
    return std::string("body200 must be a string of at most ") + std::to_string(kMaxFaultBodyBytes) + " bytes";
  const nlohmann::json& location = touchpoint::json_access::member(body, "location");
  if (!location.is_null() && (!location.is_string() || location.get_ref<const std::string&>().empty() ||
                              location.get_ref<const std::string&>().size() > kMaxLocationBytes ||
                              location.get_ref<const std::string&>().find_first_of("\r\n") != std::string::npos))
    return std::string("location must be a non-empty URL of at most ") + std::to_string(kMaxLocationBytes) + " bytes";
  if (!location.is_null() && !redirect) return std::string("location needs a redirect");
  const int answers = (status ? 1 : 0) + (html200 ? 1 : 0) + (body200.is_string() ? 1 : 0) + (redirect ? 1 : 0);
  if (answers > 1) return std::string("a fault answers one way: status, html200, body200 or redirect");
  if (!answers && !hang_ms)
    return std::string("a fault needs \"status\" (400..599), \"html200\", \"body200\", \"redirect\", \"hang_ms\", or \"reset\":true");
  if (retry_after && !status) return std::string("retry_after_s needs a status");
  const nlohmann::json& discard = touchpoint::json_access::member(body, "discard");
  if (!discard.is_null() && (!discard.is_boolean() || !hang_ms)) return std::string("discard is a boolean and needs hang_ms");

  std::lock_guard<std::mutex> lock(mutex_);
  configured_ = true;
  status_ = static_cast<int>(status.value_or(0));  // range-checked: 400..599
  body_.reset();
  content_type_.clear();
  location_.clear();
  discard_ = discard.is_boolean() && discard.get<bool>();
  if (html200) {
    status_ = 200;
    body_ = kCaptivePortalHtml;
    content_type_ = "text/html; charset=utf-8";
  } else if (body200.is_string()) {
    status_ = 200;
    body_ = body200.get<std::string>();
    content_type_ = "text/plain";
  } else if (redirect) {
    status_ = static_cast<int>(*redirect);  // one of the five redirect codes
    location_ = location.is_string() ? location.get<std::string>() : std::string("/v1/moved");
  }
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
  return FaultDecision{status_, retry_after_s_, hang_ms_, body_, content_type_, location_, discard_};
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
    if (body_) out["body_bytes"] = body_->size();
    if (!location_.empty()) out["location"] = location_;
    if (discard_) out["discard"] = true;
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
