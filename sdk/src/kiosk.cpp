#include "touchpoint/kiosk.hpp"

#include "touchpoint/identity.hpp"
#include "touchpoint/json_access.hpp"

namespace touchpoint {

using nlohmann::json;
namespace ja = json_access;

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
    const std::string what = std::string("kiosk.") + name;
    if (!v || !v->is_string()) return fail(std::string("/") + name, what + " must be a string (required)");
    std::string why;
    if (!valid_id(v->get_ref<const std::string&>(), what.c_str(), &why)) return fail(std::string("/") + name, why);
    (name[0] == 'd' ? k.device_id : k.store_id) = v->get_ref<const std::string&>();
  }
  if (const json* v = ja::find(o, "idleResetMs"); v && !v->is_null()) {
    if (!v->is_number_integer() || v->get<std::int64_t>() < kMinKioskIdleResetMs || v->get<std::int64_t>() > kMaxKioskIdleResetMs)
      return fail("/idleResetMs", "kiosk.idleResetMs must be an integer between " + std::to_string(kMinKioskIdleResetMs) +
                                      " and " + std::to_string(kMaxKioskIdleResetMs) + " (ms)");
    k.idle_reset_ms = v->get<std::int64_t>();
  }
  return k;
}

json KioskConfig::context(bool with_idle) const {
  json j = {{"deviceId", device_id}, {"storeId", store_id}};
  if (with_idle) j["idleResetMs"] = idle_reset_ms;
  return j;
}

CampaignTouch KioskConfig::touch(std::int64_t t) const {
  CampaignTouch c;
  c.source = "kiosk";
  c.medium = "in_store";
  c.store_id = store_id;
  c.timestamp_ms = t;
  return c;
}

}  // namespace touchpoint
