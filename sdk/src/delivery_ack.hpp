// The collector's acknowledgement of one batch, and the check that an answer really is one.
// A 2xx alone proves nothing: a captive portal, a proxy or a misrouted CDN answers 200 with an HTML
// page, and counting that as delivered loses the batch silently (issue 7). Only a body of the exact
// shape collector/batch_handler.cpp sends, whose counts add up to the events of the batch, confirms.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint {

// {"accepted": n, "duplicates": n, "rejected": [{"index","code","field","message"}, ...],
//  "rejectedTotal": n (only when the list was cut)}
struct DeliveryAck {
  std::uint64_t accepted = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t rejected_total = 0;              // rejectedTotal, else the length of the list
  nlohmann::json rejected = nlohmann::json::array();  // the listed rejections, each an object
};

// Parses `body` as the acknowledgement of a batch of `batch_events` events. nullopt, with the reason
// in *why, for an empty body, non-JSON, JSON of another shape (missing or mistyped member, negative
// or fractional count, a rejection that is not an object), or counts that do not add up to
// batch_events (the answer is for some other request). Extra members are allowed (newer collectors).
std::optional<DeliveryAck> parse_delivery_ack(std::string_view body, std::uint64_t batch_events, std::string* why);

}  // namespace touchpoint
