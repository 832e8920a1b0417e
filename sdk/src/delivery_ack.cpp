#include "delivery_ack.hpp"

#include "touchpoint/json_access.hpp"

namespace touchpoint {

using nlohmann::json;

std::optional<DeliveryAck> parse_delivery_ack(std::string_view body, std::uint64_t batch_events, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<DeliveryAck> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (body.empty()) return fail("the body is empty");
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    const bool html = body.find('<') != std::string_view::npos;
    return fail(html ? "the body is not JSON (an HTML page: a captive portal or proxy?)" : "the body is not JSON");
  }
  if (!j.is_object()) return fail(std::string("the body is JSON ") + j.type_name() + ", not an acknowledgement object");
  const json& accepted = json_access::member(j, "accepted");
  const json& duplicates = json_access::member(j, "duplicates");
  const json& rejected = json_access::member(j, "rejected");
  // is_number_unsigned: nlohmann parses non-negative integers as unsigned; -1 and 1.5 are not.
  if (!accepted.is_number_unsigned() || !duplicates.is_number_unsigned() || !rejected.is_array())
    return fail("the body lacks \"accepted\"/\"duplicates\" counts and a \"rejected\" array");
  for (const auto& r : rejected)
    if (!r.is_object()) return fail("a \"rejected\" entry is not an object");
  DeliveryAck ack;
  ack.accepted = accepted.get<std::uint64_t>();
  ack.duplicates = duplicates.get<std::uint64_t>();
  ack.rejected_total = rejected.size();
  if (const json* total = json_access::find(j, "rejectedTotal")) {
    if (!total->is_number_unsigned() || total->get<std::uint64_t>() < rejected.size())
      return fail("\"rejectedTotal\" is not a count of at least the listed rejections");
    ack.rejected_total = total->get<std::uint64_t>();
  }
  // Compared without a sum that could overflow on hostile counts.
  if (ack.accepted > batch_events || ack.duplicates > batch_events - ack.accepted ||
      ack.rejected_total != batch_events - ack.accepted - ack.duplicates)
    return fail("the counts do not add up to the batch's " + std::to_string(batch_events) + " events");
  ack.rejected = std::move(*j.find("rejected"));  // present: checked above
  return ack;
}

}  // namespace touchpoint
