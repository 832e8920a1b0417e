#include "dashboard_api.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "dashboard_metrics.hpp"
#include "json_response.hpp"

namespace touchpoint::collector {
namespace {

using nlohmann::json;

// The visitors table shows a page; the aggregates read every profile (a reference-scale
// dashboard: up to this many profiles per chart).
constexpr std::size_t kVisitorsDefault = 50;
constexpr std::size_t kVisitorsMax = 1000;
constexpr std::size_t kProfilesAggregated = 200000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json rules_in_force(RulesSource& rules) {
  const auto served = rules.current();
  const auto compiled = rules.current_compiled();
  json out = {{"configured", rules.configured()}};
  if (served) {
    const json content = json::parse(served->content, nullptr, false);
    out["served"] = {{"version", served->version}, {"etag", served->etag}, {"compiles", served->compiles},
                     {"content", content.is_discarded() ? json(served->content) : content}};
  }
  if (compiled) out["in_force"] = {{"version", compiled->version}, {"etag", compiled->etag}};
  return out;
}

void answer_rules_change(EventStore& store, RulesSource& rules, const IdentityVerifier& identity, const json& result,
                         httplib::Response& res) {
  if (!result.value("ok", false)) return send_json(res, 422, result);
  // Live: recompute every profile with the new rules so the dashboard and /v1/users agree.
  ProfileContext context;
  context.rules = rules.current_compiled();
  context.verify_identity = identity.enabled();
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t profiles = store.replay_profiles(context);
  json answer = result;
  answer["profiles_recomputed"] = profiles;
  answer["replay_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  answer["rules"] = rules_in_force(rules);
  send_json(res, 200, answer);
}

}  // namespace

void register_dashboard_routes(httplib::Server& server, EventStore& store, RulesSource& rules,
                               RulesPublisher& publisher, const IdentityVerifier& identity,
                               const StaticFiles& dashboard_files) {
  server.Get("/dashboard", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/dashboard/", 302); });
  server.Get(R"(/dashboard/.*)", [&dashboard_files](const httplib::Request& req, httplib::Response& res) {
    if (!dashboard_files.serve(req, res)) send_error(res, 404, "not_found", "no dashboard file " + req.path);
    // The page holds no data; its scripts are its own (no CDN), so a strict CSP fits.
    res.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'");
    res.set_header("X-Frame-Options", "DENY");
  });

  server.Get("/v1/dashboard/overview", [&store, &rules, &identity](const httplib::Request&, httplib::Response& res) {
    json stats = store.stats();
    send_json(res, 200,
              {{"stats", std::move(stats)}, {"rules", rules_in_force(rules)}, {"identity_verification", identity.enabled()},
               {"now_ms", now_ms()}});
  });

  server.Get("/v1/dashboard/visitors", [&store](const httplib::Request& req, httplib::Response& res) {
    std::size_t limit = kVisitorsDefault;
    if (req.has_param("limit")) {
      const std::string v = req.get_param_value("limit");
      if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos)
        return send_error(res, 400, "invalid_limit", "limit must be a positive integer");
      limit = std::max<std::size_t>(1, std::min<std::size_t>(std::stoul(v), kVisitorsMax));
    }
    send_json(res, 200, {{"visitors", store.profile_summaries(limit)}});
  });

  server.Get("/v1/dashboard/funnel", [&store, &rules](const httplib::Request&, httplib::Response& res) {
    const auto compiled = rules.current_compiled();
    const json definition =
        compiled ? first_stage_definition(json::parse(compiled->content, nullptr, false)) : json(nullptr);
    if (definition.is_null()) return send_json(res, 200, {{"stage", nullptr}, {"steps", json::array()}});
    std::vector<std::string> order;
    for (const json& s : definition["order"])
      if (s.is_string()) order.push_back(s.get<std::string>());
    const std::string stage_id = definition.value("id", "");
    send_json(res, 200,
              {{"stage", stage_id}, {"steps", lifecycle_funnel(store.profile_summaries(kProfilesAggregated), stage_id, order)}});
  });

  server.Get("/v1/dashboard/distributions", [&store](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, tag_and_grade_distribution(store.profile_summaries(kProfilesAggregated)));
  });

  server.Get("/v1/dashboard/touches", [&store](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, touch_breakdown(store.visitor_touches()));
  });

  server.Get("/v1/dashboard/referrals", [&store](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, referral_tree(store.referral_landings()));
  });

  server.Get("/v1/dashboard/rules", [&rules, &publisher](const httplib::Request&, httplib::Response& res) {
    json out = rules_in_force(rules);
    out["publishing"] = publisher.available();
    out["history"] = publisher.history();
    send_json(res, 200, out);
  });

  server.Post("/v1/dashboard/rules/validate", [](const httplib::Request& req, httplib::Response& res) {
    json errors = RulesPublisher::validate(req.body);
    send_json(res, 200, {{"ok", errors.empty()}, {"errors", std::move(errors)}});
  });

  server.Post("/v1/dashboard/rules", [&store, &rules, &publisher, &identity](const httplib::Request& req,
                                                                              httplib::Response& res) {
    if (!publisher.available())
      return send_error(res, 409, "rules_not_configured", "start the collector with --rules FILE to publish rules");
    answer_rules_change(store, rules, identity, publisher.publish(req.body, "published", now_ms()), res);
  });

  server.Post("/v1/dashboard/rules/rollback", [&store, &rules, &publisher, &identity](const httplib::Request& req,
                                                                                       httplib::Response& res) {
    if (!publisher.available())
      return send_error(res, 409, "rules_not_configured", "start the collector with --rules FILE to publish rules");
    const json body = json::parse(req.body, nullptr, false);
    const json* id = body.is_object() && body.contains("id") ? &body["id"] : nullptr;
    if (!id || !id->is_number_integer()) return send_error(res, 400, "invalid_id", "body must be {\"id\": N}");
    const auto text = publisher.history_entry(id->get<std::int64_t>());
    if (!text) return send_error(res, 404, "history_not_found", "no rules history entry " + id->dump());
    answer_rules_change(store, rules, identity,
                        publisher.publish(*text, "rollback to " + id->dump(), now_ms()), res);
  });
}

}  // namespace touchpoint::collector
