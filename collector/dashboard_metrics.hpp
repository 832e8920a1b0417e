// The dashboard's numbers, computed from store rows (pure: JSON in, JSON out), so each chart's
// arithmetic has a unit test: the lifecycle funnel, tag/grade distributions, first/last touch
// breakdowns and the referral (fission) tree.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace touchpoint::collector {

// [{stage, count (now at it), reached (at it or beyond), conversion (reached / previous reached,
// null for the first)}] for the stage definition `stage_id` whose stages are `order`.
nlohmann::json lifecycle_funnel(const nlohmann::json& profiles, const std::string& stage_id,
                                const std::vector<std::string>& order);

// {"tags": {tag: profiles}, "grades": {score: {grade: profiles, "none": n}}, "profiles": N}
nlohmann::json tag_and_grade_distribution(const nlohmann::json& profiles);

// {"first"|"last": {"channel"|"store"|"staff": {value: visitors}}}: a touch's channel is its
// "channel", else "source/medium", else "(direct)"; store_id and staff_id when present.
nlohmann::json touch_breakdown(const nlohmann::json& visitor_touches);

// {"nodes": [{id, parent|null, level, channel|null, children}], "roots": N, "max_level": N}:
// visitors who landed through a share link hang under the sharer (matched by anonymousId or by
// userId), to any depth; cycles are cut. Ordered depth-first from each root.
nlohmann::json referral_tree(const nlohmann::json& landings);

// The first stage definition of a rule set: {id, order[]} or null.
nlohmann::json first_stage_definition(const nlohmann::json& rules);

}  // namespace touchpoint::collector
