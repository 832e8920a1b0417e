#include "dashboard_metrics.hpp"

#include <touchpoint/json_access.hpp>

#include <map>
#include <set>
#include <unordered_map>

namespace touchpoint::collector {

using nlohmann::json;
namespace ja = touchpoint::json_access;

namespace {

std::string text_of(const json& object, const char* key) {
  const json* v = object.is_object() ? ja::find(object, key) : nullptr;
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

json lifecycle_funnel(const json& profiles, const std::string& stage_id, const std::vector<std::string>& order) {
  std::vector<std::int64_t> at(order.size(), 0);
  for (const json& p : profiles) {
    const json* stages = ja::find(p, "stages");
    const std::string stage = stages ? text_of(*stages, stage_id.c_str()) : std::string();
    for (std::size_t i = 0; i < order.size(); ++i)
      if (order[i] == stage) ++at[i];
  }
  json out = json::array();
  std::int64_t reached = 0;
  std::vector<std::int64_t> reached_at(order.size(), 0);
  for (std::size_t i = order.size(); i-- > 0;) reached_at[i] = (reached += at[i]);
  for (std::size_t i = 0; i < order.size(); ++i) {
    json conversion = nullptr;
    if (i > 0 && reached_at[i - 1] > 0) conversion = static_cast<double>(reached_at[i]) / reached_at[i - 1];
    out.push_back({{"stage", order[i]}, {"count", at[i]}, {"reached", reached_at[i]}, {"conversion", conversion}});
  }
  return out;
}

json tag_and_grade_distribution(const json& profiles) {
  std::map<std::string, std::int64_t> tags;
  std::map<std::string, std::map<std::string, std::int64_t>> grades;
  std::int64_t count = 0;
  for (const json& p : profiles) {
    ++count;
    if (const json* t = ja::find(p, "tags"); t && t->is_array())
      for (const json& tag : *t)
        if (tag.is_string()) ++tags[tag.get<std::string>()];
    if (const json* s = ja::find(p, "scores"); s && s->is_object())
      for (auto it = s->begin(); it != s->end(); ++it) {
        const std::string grade = text_of(it.value(), "grade");
        ++grades[it.key()][grade.empty() ? "none" : grade];
      }
  }
  return {{"tags", tags}, {"grades", grades}, {"profiles", count}};
}

json touch_breakdown(const json& visitor_touches) {
  json out = {{"first", {{"channel", json::object()}, {"store", json::object()}, {"staff", json::object()}}},
              {"last", {{"channel", json::object()}, {"store", json::object()}, {"staff", json::object()}}}};
  auto count = [](json& bucket, const std::string& key) {
    bucket[key] = bucket.value(key, 0) + 1;
  };
  for (const json& row : visitor_touches) {
    for (const char* which : {"first", "last"}) {
      const json* touch = ja::find(row, which);
      json& side = out[which];
      if (!touch || !touch->is_object()) {
        count(side["channel"], "(direct)");
        continue;
      }
      std::string channel = text_of(*touch, "channel");
      if (channel.empty()) {
        const std::string source = text_of(*touch, "source"), medium = text_of(*touch, "medium");
        channel = source.empty() ? "(direct)" : medium.empty() ? source : source + "/" + medium;
      }
      count(side["channel"], channel);
      if (const std::string store = text_of(*touch, "store_id"); !store.empty()) count(side["store"], store);
      if (const std::string staff = text_of(*touch, "staff_id"); !staff.empty()) count(side["staff"], staff);
    }
  }
  return out;
}

json referral_tree(const json& landings) {
  // Node ids are anonymousIds; a referrer may be named by its userId.
  std::unordered_map<std::string, std::string> by_user;
  std::map<std::string, std::string> parent_of;  // visitor -> referrer visitor
  std::map<std::string, std::string> channel_of;
  for (const json& l : landings) {
    const std::string visitor = text_of(l, "visitor");
    if (const std::string user = text_of(l, "userId"); !user.empty()) by_user[user] = visitor;
  }
  std::set<std::string> all;
  for (const json& l : landings) {
    const std::string visitor = text_of(l, "visitor");
    std::string referrer = text_of(l, "referrer");
    if (visitor.empty() || referrer.empty()) continue;
    if (auto it = by_user.find(referrer); it != by_user.end()) referrer = it->second;
    if (referrer == visitor) continue;
    parent_of[visitor] = referrer;
    channel_of[visitor] = text_of(l, "channel");
    all.insert(visitor);
    all.insert(referrer);
  }
  std::map<std::string, std::vector<std::string>> children;
  for (const auto& [child, parent] : parent_of) children[parent].push_back(child);
  // Roots: no parent, or on a cycle (cut at its smallest id).
  std::vector<std::string> roots;
  for (const std::string& id : all)
    if (!parent_of.count(id)) roots.push_back(id);
  std::set<std::string> placed;
  json nodes = json::array();
  std::size_t max_level = 0;
  auto walk = [&](const std::string& root) {
    std::vector<std::pair<std::string, std::size_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto [id, level] = stack.back();
      stack.pop_back();
      if (!placed.insert(id).second) continue;
      max_level = std::max(max_level, level);
      auto parent = parent_of.find(id);
      const bool has_parent = level > 0 && parent != parent_of.end();
      const auto& kids = children[id];
      nodes.push_back({{"id", id},
                       {"parent", has_parent ? json(parent->second) : json(nullptr)},
                       {"level", level},
                       {"channel", channel_of[id].empty() ? json(nullptr) : json(channel_of[id])},
                       {"children", kids.size()}});
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.emplace_back(*it, level + 1);
    }
  };
  for (const std::string& root : roots) walk(root);
  std::size_t root_count = roots.size();
  for (const std::string& id : all)
    if (!placed.count(id)) {
      ++root_count;
      walk(id);  // a cycle with no way in: start it at its smallest id
    }
  return {{"nodes", std::move(nodes)}, {"roots", root_count}, {"max_level", max_level}};
}

json first_stage_definition(const json& rules) {
  const json* stages = rules.is_object() ? ja::find(rules, "stages") : nullptr;
  if (!stages || !stages->is_array() || stages->empty()) return nullptr;
  const json& first = (*stages)[0];
  const json* order = ja::find(first, "order");
  if (!order || !order->is_array()) return nullptr;
  return {{"id", text_of(first, "id")}, {"order", *order}};
}

}  // namespace touchpoint::collector
