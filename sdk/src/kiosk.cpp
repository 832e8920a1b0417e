#include "touchpoint/kiosk.hpp"

#include "touchpoint/json_access.hpp"

namespace touchpoint {

using nlohmann::json;
namespace ja = json_access;

namespace {

// A device or store id: a string of 1..kMaxKioskIdBytes bytes of UTF-8 without control characters
// (it is a dashboard key and a column value, never free text). "" when fine, else why not.
std::string id_problem(const json* v, const char* name) {
  const std::string what = std::string("kiosk.") + name;
  if (!v || v->is_null()) return what + " is required (a string naming the " + (name[0] == 'd' ? "screen" : "store") + ")";
  if (!v->is_string()) return what + " must be a string";
  const std::string& s = v->get_ref<const std::string&>();
  if (s.empty()) return what + " must not be empty";
  if (s.size() > kMaxKioskIdBytes)
    return what + " is " + std::to_string(s.size()) + " bytes; the limit is " + std::to_string(kMaxKioskIdBytes);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return what + " contains a control character";
  }
  std::string copy(s);
  if (repair_utf8(copy)) return what + " is not valid UTF-8";
  return "";
}

}  // namespace

const char* to_string(VisitEndReason reason) { return reason == VisitEndReason::kIdle ? "idle" : "api"; }

std::optional<VisitEndReason> parse_visit_end_reason(std::string_view s) {
  if (s == "idle") return VisitEndReason::kIdle;
  if (s == "api") return VisitEndReason::kApi;
  return std::nullopt;
}

std::optional<KioskConfig> KioskConfig::from_json(const json& o, ValidationError* error) {
  auto fail = [&](const std::string& field, const std::string& message) -> std::optional<KioskConfig> {
    if (error) *error = {"option_invalid", "/kiosk" + field, message};
    return std::nullopt;
  };
  if (!o.is_object()) return fail("", "kiosk must be an object {idleResetMs, deviceId, storeId}");
  KioskConfig k;
  for (const char* name : {"deviceId", "storeId"}) {
    const json* v = ja::find(o, name);
    if (std::string why = id_problem(v, name); !why.empty()) return fail(std::string("/") + name, why);
    (name[0] == 'd' ? k.device_id : k.store_id) = v->get<std::string>();
  }
  if (const json* v = ja::find(o, "idleResetMs"); v && !v->is_null()) {
    if (!v->is_number_integer() || v->get<std::int64_t>() < kMinKioskIdleResetMs || v->get<std::int64_t>() > kMaxKioskIdleResetMs)
      return fail("/idleResetMs", "kiosk.idleResetMs must be an integer between " + std::to_string(kMinKioskIdleResetMs) +
                                      " and " + std::to_string(kMaxKioskIdleResetMs) + " (ms)");
    k.idle_reset_ms = v->get<std::int64_t>();
  }
  return k;
}

json KioskConfig::context() const { return {{"deviceId", device_id}, {"storeId", store_id}}; }

CampaignTouch KioskConfig::touch(std::int64_t t) const {
  CampaignTouch c;
  c.source = "kiosk";
  c.medium = "in_store";
  c.store_id = store_id;
  c.timestamp_ms = t;
  return c;
}

}  // namespace touchpoint
