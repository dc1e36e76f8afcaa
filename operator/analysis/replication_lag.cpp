#include "analysis/replication_lag.h"

#include <cmath>

namespace tenantshift::analysis {

ReplicationLagReading readReplicationLag(pqxx::transaction_base& tx) {
  const pqxx::row row = tx.exec1(
      "SELECT count(*)::int, count(r.state)::int, "
      "max(extract(epoch FROM r.replay_lag) * 1000)::float8 "
      "FROM pg_stat_replication r "
      "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots s "
      "WHERE s.active_pid = r.pid AND s.slot_type = 'logical')");
  ReplicationLagReading out;
  out.standbys = row[0].as<int>();
  out.hidden = out.standbys > 0 && row[1].as<int>() == 0;
  if (!row[2].is_null()) {
    out.worstReplayLag =
        std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(row[2].as<double>())));
  }
  return out;
}

}  // namespace tenantshift::analysis
