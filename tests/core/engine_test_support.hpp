// Helpers the engine-level doctests share: write call lines the way the shell does and read back
// what the engine queued, through its public entry points only.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "touchpoint/engine.hpp"

namespace touchpoint::test {

// The hot-path track line: "t\t<ts>\t<name as JSON>\t<properties JSON>".
inline std::string track_line(const std::string& name, std::int64_t ts, const std::string& props = "{}") {
  return "t\t" + std::to_string(ts) + "\t" + nlohmann::json(name).dump() + "\t" + props + "\n";
}

// The collector's acknowledgement of a batch of n events, all accepted (delivery_ack.hpp).
inline std::string ack(std::size_t n) {
  return "{\"accepted\":" + std::to_string(n) + ",\"duplicates\":0,\"rejected\":[]}";
}

// Everything queued so far, oldest first. With `deliver`, each batch is also answered 200, so the
// queue is empty afterwards (snapshots then hold nothing old).
inline nlohmann::json drain(Engine& e, std::int64_t now, bool deliver = false) {
  nlohmann::json all = nlohmann::json::array();
  const nlohmann::json o = nlohmann::json::parse(e.flush(now, true, 1 << 30).to_json());
  for (const auto& s : o["send"]) {
    const auto id = s["id"].get<std::uint64_t>();
    const nlohmann::json body = nlohmann::json::parse(e.batch_body(id));  // bound: a temporary's member would dangle
    for (const auto& ev : body["batch"]) all.push_back(ev);
    if (deliver) e.delivered(id, 200, 0, ack(body["batch"].size()), now);
  }
  return all;
}

// The events of `events` named `name` (track events), in order.
inline nlohmann::json named(const nlohmann::json& events, const std::string& name) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& ev : events)
    if (ev.value("event", "") == name) out.push_back(ev);
  return out;
}

}  // namespace touchpoint::test
