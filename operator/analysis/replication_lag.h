#pragma once

#include <chrono>
#include <optional>
#include <pqxx/pqxx>

namespace tenantshift::analysis {

// The replay lag of the physical standbys streaming from this server.
struct ReplicationLagReading {
  int standbys = 0;  // physical walsenders seen
  // The worst pg_stat_replication.replay_lag; absent when there is no standby, when every
  // standby has caught up and is idle (PostgreSQL then shows NULL), or when the reader may not
  // see the lag (visible columns need superuser or pg_read_all_stats / pg_monitor).
  std::optional<std::chrono::milliseconds> worstReplayLag;
  bool hidden = false;  // standbys exist but their details are not visible to this role
};

// Reads pg_stat_replication on `tx`, leaving out logical walsenders (those serving a logical
// replication slot): a logical subscriber falling behind does not make a standby stale.
ReplicationLagReading readReplicationLag(pqxx::transaction_base& tx);

}  // namespace tenantshift::analysis
