// Kiosk mode: one in-store screen shared by many customers. The device and the store it stands in
// travel in every event's context (context.kiosk), and each new visitor's first touch is the
// store (store_id), so the collector's dashboard credits the store like a tp_store link. The idle
// timer that ends a visit is the shell's (js/src/kiosk.js); the core only validates idleResetMs.
// The visit itself ends with the engine's "end_visit" call (engine.hpp; docs/kiosk.md).
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "touchpoint/attribution.hpp"
#include "touchpoint/event_validator.hpp"

namespace touchpoint {

// idleResetMs bounds: under 10 s a customer reading a product page is cut off mid-read; past a
// day the visit outlives the kiosk's nightly reload. The default, two minutes, is long enough to
// read a product page and short enough that the next customer rarely walks up within it.
constexpr std::int64_t kMinKioskIdleResetMs = 10 * 1000;
constexpr std::int64_t kMaxKioskIdleResetMs = 24 * 60 * 60 * 1000;
constexpr std::int64_t kDefaultKioskIdleResetMs = 2 * 60 * 1000;

// Why a visit ended: the shell's idle timer, or the page's touchpoint.endVisit().
enum class VisitEndReason { kIdle, kApi };
const char* to_string(VisitEndReason reason);  // "idle", "api"
std::optional<VisitEndReason> parse_visit_end_reason(std::string_view s);

struct KioskConfig {
  std::string device_id;
  std::string store_id;
  std::int64_t idle_reset_ms = kDefaultKioskIdleResetMs;

  // Reads the init option kiosk: {idleResetMs?, deviceId, storeId}. deviceId and storeId are
  // required ids (valid_id in identity.hpp: 1..255 bytes of UTF-8, no control characters); idleResetMs
  // an integer in [kMinKioskIdleResetMs, kMaxKioskIdleResetMs]. nullopt and *error otherwise.
  static std::optional<KioskConfig> from_json(const nlohmann::json& options, ValidationError* error);
  // {"deviceId","storeId"}: context.kiosk of every event (with idleResetMs: the shell's stats).
  nlohmann::json context(bool with_idle = false) const;
  // The touch a kiosk visitor starts with: source "kiosk", medium "in_store", store_id, at `t`.
  CampaignTouch touch(std::int64_t t) const;
};

}  // namespace touchpoint
