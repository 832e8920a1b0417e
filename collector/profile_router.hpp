// Which profiles a stored event feeds (the routing described in profile_state.hpp), written once
// for every store: the router asks a ProfileStorage — the store's open transaction — for identity
// links, anonymous history and stored profiles, and keeps recently used engines warm in memory.
//
// Several writers (connections, or collector processes behind one PostgreSQL) stay exact because
// a profile is claimed before it is used: the storage locks it for the rest of the transaction
// and answers its stored revision; a warm engine is reused only when its revision is still the
// stored one, else the row is read again.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity_verifier.hpp"
#include "profile_state.hpp"
#include "rules_source.hpp"

namespace touchpoint::collector {

// What the store needs to keep profiles current while storing a batch.
struct ProfileContext {
  std::shared_ptr<const RulesSnapshot> rules;  // the newest rule set that compiles, or null
  bool verify_identity = false;                // --identity-secret is set
};

// A newly stored event as the router sees it.
struct RoutedEvent {
  std::int64_t row_id = 0;
  std::string type, body;
  std::optional<std::string> anonymous_id, user_id;
  std::int64_t t_ms = 0;  // timestamp_ms, else received_at_ms
  IdentityStatus identity = IdentityStatus::not_checked;
};

// Profiles loaded or changed in the current transaction (written by save_profiles).
using ProfileMap = std::unordered_map<std::string, std::unique_ptr<ProfileState>>;

// The store's side, always inside its open write transaction.
class ProfileStorage {
 public:
  virtual ~ProfileStorage() = default;
  virtual bool has_verified_link(const std::string& anonymous_id, const std::string& user_id) = 0;
  // Records that the device was seen as the user; true when this is a new link (for a verified
  // one: when no verified link existed before).
  virtual bool add_link(const std::string& anonymous_id, const std::string& user_id, bool verified,
                        std::int64_t t_ms) = 0;
  virtual std::vector<std::string> linked_users(const std::string& anonymous_id, bool verified_only) = 0;
  // The device's anonymous events before `before`: stored earlier when ingesting, earlier in
  // event time when replaying; in event-time order.
  virtual void anonymous_history(const std::string& anonymous_id, const RoutedEvent& before, bool replaying,
                                 const std::function<void(const ProfileEventView&)>& feed) = 0;
  // Locks the profile `id` for the rest of the transaction; its stored revision, if it has a row.
  virtual std::optional<std::int64_t> claim_profile(const std::string& id) = 0;
  // Restores the stored row into `state` (whose rules are set); false if there is none.
  virtual bool load_profile(const std::string& id, ProfileState& state) = 0;
  // Writes every profile of `touched` and sets each one's new revision.
  virtual void save_profiles(const ProfileMap& touched) = 0;
};

// One router can serve several connections at once (its warm engines are shared): a profile is
// claimed before it is taken from the cache, so two transactions never hold the same one.
class ProfileRouter {
 public:
  // The identity of an event with a userId: identify's own check, else the device's verified link.
  IdentityStatus resolve_identity(ProfileStorage& storage, const RoutedEvent& e, const ProfileContext& ctx);
  // Feeds `e` to every profile it belongs to, loading them into `touched`.
  void route(ProfileStorage& storage, const RoutedEvent& e, const ProfileContext& ctx, bool replaying,
             ProfileMap* touched);
  // After commit: keeps the engines warm for the next batch of the same visitors.
  void committed(ProfileMap&& touched);
  // After a failed transaction or a replay: the rows are the truth.
  void forget();

 private:
  ProfileState& profile(ProfileStorage& storage, const std::string& id, const ProfileContext& ctx,
                        ProfileMap* touched);

  // Bounded LRU of engines as last committed.
  static constexpr std::size_t kCachedProfiles = 4096;
  std::mutex cache_mutex_;
  std::list<std::string> lru_;
  std::unordered_map<std::string, std::pair<std::unique_ptr<ProfileState>, std::list<std::string>::iterator>> cache_;
};

}  // namespace touchpoint::collector
