#include "profile_router.hpp"

namespace touchpoint::collector {

IdentityStatus ProfileRouter::resolve_identity(ProfileStorage& storage, const RoutedEvent& e,
                                               const ProfileContext& ctx) {
  if (!ctx.verify_identity || !e.user_id) return IdentityStatus::not_checked;
  if (e.type == "identify") return e.identity == IdentityStatus::verified ? IdentityStatus::verified
                                                                           : IdentityStatus::unverified;
  if (!e.anonymous_id) return IdentityStatus::unverified;
  return storage.has_verified_link(*e.anonymous_id, *e.user_id) ? IdentityStatus::verified
                                                                 : IdentityStatus::unverified;
}

ProfileState& ProfileRouter::profile(ProfileStorage& storage, const std::string& id, const ProfileContext& ctx,
                                     ProfileMap* touched) {
  auto t = touched->find(id);
  if (t != touched->end()) return *t->second;
  const std::optional<std::int64_t> stored_revision = storage.claim_profile(id);
  std::unique_ptr<ProfileState> state;
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto c = cache_.find(id); c != cache_.end()) {
      if (stored_revision && c->second.first->revision == *stored_revision) state = std::move(c->second.first);
      lru_.erase(c->second.second);
      cache_.erase(c);  // current or not, it leaves the cache until this transaction commits
    }
  }
  if (state) {
    state->use_rules(ctx.rules);
  } else {
    state = std::make_unique<ProfileState>(id);
    state->use_rules(ctx.rules);
    if (stored_revision) storage.load_profile(id, *state);
  }
  return *touched->emplace(id, std::move(state)).first->second;
}

void ProfileRouter::route(ProfileStorage& storage, const RoutedEvent& e, const ProfileContext& ctx, bool replaying,
                          ProfileMap* touched) {
  const ProfileEventView view{e.type, e.body, e.t_ms};
  std::vector<std::string> targets;
  if (e.anonymous_id) targets.push_back(*e.anonymous_id);
  bool new_link = false;
  if (e.user_id && e.anonymous_id && e.identity != IdentityStatus::unverified)
    new_link = storage.add_link(*e.anonymous_id, *e.user_id, e.identity == IdentityStatus::verified, e.t_ms);
  if (e.user_id && e.identity != IdentityStatus::unverified && *e.user_id != e.anonymous_id.value_or("")) {
    ProfileState& user = profile(storage, *e.user_id, ctx, touched);
    user.kind = "user";
    if (ctx.verify_identity) user.verified = true;
    if (new_link)
      storage.anonymous_history(*e.anonymous_id, e, replaying,
                                [&user](const ProfileEventView& earlier) { user.apply(earlier); });
    targets.push_back(*e.user_id);
  }
  if (!e.user_id && e.anonymous_id) {
    for (std::string& user : storage.linked_users(*e.anonymous_id, ctx.verify_identity))
      if (user != *e.anonymous_id) targets.push_back(std::move(user));
  }
  for (const std::string& id : targets) profile(storage, id, ctx, touched).apply(view);
}

void ProfileRouter::committed(ProfileMap&& touched) {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  for (auto& [id, state] : touched) {
    auto it = cache_.find(id);
    if (it != cache_.end()) {
      lru_.erase(it->second.second);
      cache_.erase(it);
    }
    lru_.push_front(id);
    cache_.emplace(id, std::make_pair(std::move(state), lru_.begin()));
    if (cache_.size() > kCachedProfiles) {
      cache_.erase(lru_.back());
      lru_.pop_back();
    }
  }
}

void ProfileRouter::forget() {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.clear();
  lru_.clear();
}

}  // namespace touchpoint::collector
