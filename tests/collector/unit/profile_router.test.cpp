#include <doctest/doctest.h>

#include <map>

#include "profile_router.hpp"

namespace tc = touchpoint::collector;

namespace {

// An in-memory ProfileStorage: profiles as stored rows (events counted), revisions bumped on save.
struct MemoryStorage : tc::ProfileStorage {
  struct Row {
    std::int64_t events = 0, stored = 0, revision = 0;
  };
  std::map<std::string, Row> rows;
  std::map<std::pair<std::string, std::string>, bool> links;  // (device, user) -> verified
  std::int64_t next_revision = 1;
  int loads = 0;

  bool has_verified_link(const std::string& a, const std::string& u) override {
    auto it = links.find({a, u});
    return it != links.end() && it->second;
  }
  bool add_link(const std::string& a, const std::string& u, bool verified, std::int64_t) override {
    auto [it, added] = links.emplace(std::make_pair(a, u), verified);
    if (!added && verified && !it->second) {
      it->second = true;
      return true;
    }
    return added;
  }
  std::vector<std::string> linked_users(const std::string& a, bool verified_only) override {
    std::vector<std::string> users;
    for (const auto& [key, verified] : links)
      if (key.first == a && (!verified_only || verified)) users.push_back(key.second);
    return users;
  }
  void anonymous_history(const std::string&, const tc::RoutedEvent&, bool,
                         const std::function<void(const tc::ProfileEventView&)>&) override {}
  std::optional<std::int64_t> claim_profile(const std::string& id) override {
    auto it = rows.find(id);
    if (it == rows.end()) return std::nullopt;
    return it->second.revision;
  }
  bool load_profile(const std::string& id, tc::ProfileState& state) override {
    ++loads;
    const Row& r = rows.at(id);
    state.restore("", "{}", r.events, r.stored, 0);
    state.revision = r.revision;
    return true;
  }
  void save_profiles(const tc::ProfileMap& touched) override {
    for (const auto& [id, state] : touched) {
      Row& r = rows[id];
      r.events = state->events();
      r.stored = state->stored();
      r.revision = next_revision++;
      state->revision = r.revision;
    }
  }
};

tc::RoutedEvent anonymous_event(const std::string& device) {
  tc::RoutedEvent e;
  e.type = "track";
  e.body = R"({"type":"track","event":"product_view","anonymousId":")" + device + R"("})";
  e.anonymous_id = device;
  e.t_ms = 1000;
  return e;
}

// One transaction of `router` on `storage`: route `e`, save, commit.
void store(tc::ProfileRouter& router, MemoryStorage& storage, const tc::RoutedEvent& e) {
  tc::ProfileMap touched;
  router.route(storage, e, {}, false, &touched);
  storage.save_profiles(touched);
  router.committed(std::move(touched));
}

}  // namespace

TEST_CASE("profile router: a warm engine is reused while its revision is the stored one") {
  MemoryStorage storage;
  tc::ProfileRouter router;
  store(router, storage, anonymous_event("anon-1"));
  store(router, storage, anonymous_event("anon-1"));
  CHECK(storage.loads == 0);  // the first had no row, the second was warm
  CHECK(storage.rows["anon-1"].stored == 2);
}

TEST_CASE("profile router: two writers on one store never lose an update (stale engines are read again)") {
  MemoryStorage storage;
  tc::ProfileRouter a, b;  // two processes (or connections), each with its warm engines
  store(a, storage, anonymous_event("anon-1"));
  store(b, storage, anonymous_event("anon-1"));  // b had nothing warm: reads a's row
  store(a, storage, anonymous_event("anon-1"));  // a's engine is stale (b wrote since): read again
  store(b, storage, anonymous_event("anon-1"));
  CHECK(storage.rows["anon-1"].stored == 4);
  CHECK(storage.loads == 3);
}

TEST_CASE("profile router: an anonymous event feeds the users its device is linked to") {
  MemoryStorage storage;
  tc::ProfileRouter router;
  tc::RoutedEvent login = anonymous_event("anon-1");
  login.type = "identify";
  login.user_id = "user-1";
  store(router, storage, login);
  store(router, storage, anonymous_event("anon-1"));
  CHECK(storage.rows["user-1"].stored == 2);
  CHECK(storage.rows["anon-1"].stored == 2);
}

TEST_CASE("profile router: with verification on, an unverified userId feeds only its device") {
  MemoryStorage storage;
  tc::ProfileRouter router;
  tc::ProfileContext ctx;
  ctx.verify_identity = true;
  tc::RoutedEvent claim = anonymous_event("anon-1");
  claim.user_id = "user-alice";
  claim.identity = router.resolve_identity(storage, claim, ctx);
  CHECK(claim.identity == tc::IdentityStatus::unverified);
  tc::ProfileMap touched;
  router.route(storage, claim, ctx, false, &touched);
  CHECK(touched.count("user-alice") == 0);
  CHECK(touched.count("anon-1") == 1);
}
