// The embedded store (the default): one SQLite file in WAL mode, one connection used by one
// request at a time. Schema in docs/collector.md.
#pragma once
#include <mutex>

#include "event_store.hpp"
#include "profile_router.hpp"
#include "sqlite_db.hpp"

namespace touchpoint::collector {

class SqliteEventStore final : public EventStore, private ProfileStorage {
 public:
  // Opens (creating if needed) the database; throws SqliteError if it cannot.
  explicit SqliteEventStore(const std::string& path);

  StoreResult store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events,
                          const ProfileContext& profiles = {}) override;
  std::optional<ProfileRow> find_profile(const std::string& id) override;
  std::size_t replay_profiles(const ProfileContext& profiles) override;
  nlohmann::json profile_summaries(std::size_t limit) override;
  nlohmann::json visitor_touches() override;
  nlohmann::json referral_landings() override;
  bool needs_profile_replay() const override { return needs_profile_replay_; }
  nlohmann::json find_events(const EventQuery& query) override;
  nlohmann::json stats() override;
  void clear() override;
  void with_writes_paused(const std::function<void()>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    fn();
  }
  std::vector<StoredEvent> events_of_identity(const std::string& id) override;

 private:
  void create_schema();
  // ProfileStorage, inside the open transaction:
  bool has_verified_link(const std::string& anonymous_id, const std::string& user_id) override;
  bool add_link(const std::string& anonymous_id, const std::string& user_id, bool verified,
                std::int64_t t_ms) override;
  std::vector<std::string> linked_users(const std::string& anonymous_id, bool verified_only) override;
  void anonymous_history(const std::string& anonymous_id, const RoutedEvent& before, bool replaying,
                         const std::function<void(const ProfileEventView&)>& feed) override;
  std::optional<std::int64_t> claim_profile(const std::string& id) override;
  bool load_profile(const std::string& id, ProfileState& state) override;
  void save_profiles(const ProfileMap& touched) override;

  bool needs_profile_replay_ = false;
  std::mutex mutex_;  // one connection, used by one request at a time
  SqliteDb db_;
  ProfileRouter router_;
};

}  // namespace touchpoint::collector
