// The shared store (--db postgres://...): several collector processes behind one PostgreSQL
// database, each with a small pool of connections. Dedupe is exact across all of them
// (message_ids' primary key, ON CONFLICT DO NOTHING); events are partitioned by the day they were
// received; profile updates never get lost (advisory locks per profile, checked revisions;
// profile_router.hpp). Schema in docs/collector.md.
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "event_store.hpp"

namespace touchpoint::collector {

class PostgresEventStore final : public EventStore {
 public:
  // Connects (`conninfo` as libpq takes it) and creates the schema if needed; throws PgError.
  explicit PostgresEventStore(const std::string& conninfo, std::size_t connections = kConnections);
  ~PostgresEventStore() override;

  StoreResult store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events,
                          const ProfileContext& profiles = {}) override;
  std::optional<ProfileRow> find_profile(const std::string& id) override;
  std::size_t replay_profiles(const ProfileContext& profiles) override;
  nlohmann::json profile_summaries(std::size_t limit) override;
  nlohmann::json visitor_touches() override;
  nlohmann::json referral_landings() override;
  bool needs_profile_replay() const override { return false; }  // profiles exist from the first schema
  nlohmann::json find_events(const EventQuery& query) override;
  nlohmann::json stats() override;
  void clear() override;
  void with_writes_paused(const std::function<void()>& fn) override;
  std::vector<StoredEvent> events_of_identity(const std::string& id) override;

  // Connections per process: batches of different visitors are stored in parallel.
  static constexpr std::size_t kConnections = 8;

 private:
  class Session;  // one connection, its warm profiles and the state of its open transaction
  template <typename Fn>
  auto with_session(Fn&& fn);
  // Creates the partition holding `day` (YYYY-MM-DD) unless this process already knows it.
  void ensure_partition(Session& session, std::int64_t received_at_ms);

  ProfileRouter router_;  // before the sessions, which use it
  std::size_t connections_ = 1;
  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Session>> idle_;
  std::mutex partitions_mutex_;
  std::set<std::string> partitions_;  // days whose partition exists
};

}  // namespace touchpoint::collector
