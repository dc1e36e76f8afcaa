#include "verify/probe_unit.h"

#include <algorithm>

#include "api/joined.h"
#include "plan/sql_identifier.h"
#include "verify/sql_support.h"
#include "verify/unit_runner.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

using RepeatableRead = pqxx::transaction<pqxx::isolation_level::repeatable_read>;

constexpr const char* kCopy = "tenantshift_verify_copy";

bool isIntegerType(const std::string& type) {
  return type == "smallint" || type == "integer" || type == "bigint" || type == "numeric" ||
         type.rfind("numeric(", 0) == 0;
}

// A key the INSERT ... ON CONFLICT probe can name: a valid unique index without expressions or
// predicate; preferably one without the tenant column, which can meet another tenant's row.
std::vector<std::string> conflictTarget(const RelationFacts& relation) {
  auto has = [](const IndexFacts& index, const std::string& column) {
    return std::find(index.keyColumns.begin(), index.keyColumns.end(), column) !=
           index.keyColumns.end();
  };
  const IndexFacts* fallback = nullptr;
  for (const IndexFacts& index : relation.indexes) {
    if (!index.unique || !index.valid || index.partial || index.keyColumns.empty() ||
        has(index, std::string())) {
      continue;
    }
    if (!has(index, relation.tenantColumn)) {
      return index.keyColumns;
    }
    if (fallback == nullptr) {
      fallback = &index;
    }
  }
  return fallback == nullptr ? std::vector<std::string>() : fallback->keyColumns;
}

class Prober {
 public:
  Prober(pqxx::transaction_base& tx, const api::MigrationSpec& spec, const RelationFacts& relation,
         const RelationFacts* tenants, ProbeObservation& seen)
      : tx_(tx),
        spec_(spec),
        relation_(relation),
        tenants_(tenants),
        seen_(seen),
        rel_(relation.qualified()),
        column_(quoteIdent(relation.tenantColumn)),
        type_(relation.tenantColumnType) {}

  void run() {
    if (!pickRow()) {
      return;
    }
    pickSessionTenant();
    makeCopy();
    probeSelect();
    if (seen_.access.select) {
      seen_.update = asOther("UPDATE " + rel_ + " SET " + column_ + " = " + column_ + byRow(1),
                             seen_.access.update);
      seen_.remove = asOther("DELETE FROM " + rel_ + byRow(1), seen_.access.remove);
      pickBlindTenant();
      // Without row-level security every row is reachable anyway (rls.enabled fails): no
      // statement needs to touch them all to show it.
      const bool rls = relation_.rowSecurity;
      seen_.blindUpdate =
          blind(seen_.blindTenant, "UPDATE " + rel_ + " SET " + column_ + " = $1::" + type_,
                seen_.blindTenant, rls && seen_.access.update);
      seen_.blindRemove =
          blind(seen_.blindTenant, "DELETE FROM " + rel_ + " WHERE $1::text IS NOT NULL",
                seen_.blindTenant, rls && seen_.access.remove);
    }
    probeInsert();
    if (seen_.access.select && seen_.access.insert && seen_.access.update) {
      probeOnConflict();
    }
    if (seen_.access.select && seen_.access.update) {
      probeMove();
      seen_.blindMove =
          blind(seen_.rowTenant, "UPDATE " + rel_ + " SET " + column_ + " = $1::" + type_,
                seen_.sessionTenant, relation_.rowSecurity);
    }
  }

 private:
  // " WHERE tableoid = $n::oid AND ctid = $n+1::tid": R, wherever it lives (a ctid is unique
  // within one partition only).
  static std::string byRow(int first) {
    return " WHERE tableoid = $" + std::to_string(first) + "::oid AND ctid = $" +
           std::to_string(first + 1) + "::tid";
  }

  bool pickRow() {
    std::vector<std::string> key;
    for (const std::string& column : relation_.primaryKey) {
      key.push_back("x." + quoteIdent(column) + "::text");
    }
    auto rows = tx_.exec_params("SELECT x.tableoid::text, x.ctid::text, x." + column_ + "::text" +
                                (key.empty() ? "" : ", " + joined(key)) + " FROM " + rel_ +
                                " AS x WHERE x." + column_ +
                                " IS NOT NULL LIMIT 1 FOR NO KEY UPDATE OF x SKIP LOCKED");
    if (rows.empty()) {
      const bool any = tx_.exec_params1("SELECT EXISTS (SELECT 1 FROM " + rel_ + " WHERE " +
                                        column_ + " IS NOT NULL)")[0]
                           .as<bool>();
      if (any) {
        throw BlockedByOtherSessions("every row of " + relation_.label(spec_.database.schema) +
                                     " with a tenant is locked by other sessions");
      }
      seen_.empty = true;
      return false;
    }
    tableoid_ = rows[0][0].as<std::string>();
    ctid_ = rows[0][1].as<std::string>();
    seen_.rowTenant = rows[0][2].as<std::string>();
    if (key.empty()) {
      seen_.row = "ctid " + ctid_;
    } else {
      std::vector<std::string> values;
      for (std::size_t i = 0; i < key.size(); ++i) {
        values.push_back(rows[0][static_cast<int>(i + 3)].is_null()
                             ? "NULL"
                             : rows[0][static_cast<int>(i + 3)].as<std::string>());
      }
      seen_.row = "(" + joined(relation_.primaryKey) + ")=(" + joined(values) + ")";
    }
    return true;
  }

  // Y: a tenant with rows in the relation, else another tenant of the tenants table, else an id
  // no tenant has.
  void pickSessionTenant() {
    auto other = tx_.exec_params("SELECT " + column_ + "::text FROM " + rel_ + " WHERE " + column_ +
                                     " IS NOT NULL AND " + column_ +
                                     " IS DISTINCT FROM $1::" + type_ + " LIMIT 1",
                                 seen_.rowTenant);
    if (!other.empty()) {
      seen_.sessionTenant = other[0][0].as<std::string>();
      return;
    }
    if (tenants_ != nullptr && tenants_->exists && tenants_->hasTenantColumn &&
        relation_.kind != RelationKind::TenantsTable) {
      const std::string id = quoteIdent(tenants_->tenantColumn);
      auto rows =
          tx_.exec_params("SELECT " + id + "::text FROM " + tenants_->qualified() + " WHERE " + id +
                              "::text <> $1 ORDER BY " + id + "::text = $2 DESC, 1 LIMIT 1",
                          seen_.rowTenant, spec_.tenant.defaultTenant.id);
      if (!rows.empty()) {
        seen_.sessionTenant = rows[0][0].as<std::string>();
        return;
      }
    }
    seen_.sessionTenant = absentTenant(type_, seen_.rowTenant);
  }

  // Z: a tenant without rows in the relation, for the statements that read no column.
  void pickBlindTenant() {
    const std::string first = absentTenant(type_, seen_.rowTenant);
    const std::string second = absentTenant(type_, first);
    for (const std::string& candidate : {seen_.sessionTenant, first, second}) {
      if (candidate == seen_.rowTenant) {
        continue;
      }
      const bool has = tx_.exec_params1("SELECT EXISTS (SELECT 1 FROM " + rel_ + " WHERE " +
                                            column_ + " = $1::" + type_ + ")",
                                        candidate)[0]
                           .as<bool>();
      if (!has) {
        seen_.blindTenant = candidate;
        return;
      }
    }
    seen_.blindTenant = second;
  }

  // `sql` (which reads no column of the relation: only the UPDATE / DELETE policies apply) as
  // the app role with `tenant` set; $1 is `value`.
  StatementResult blind(const std::string& tenant, const std::string& sql, const std::string& value,
                        bool allowed) {
    StatementResult out;
    if (!allowed) {
      return out;
    }
    asApp(tx_, spec_.database.appRole, spec_.tenant.setting, tenant,
          [&](pqxx::transaction_base& app) {
            out = attempt(app, [&](pqxx::transaction_base& s) {
              return s.exec_params(sql, value).affected_rows();
            });
          });
    return out;
  }

  void makeCopy() {
    for (const ColumnFacts& column : relation_.columns) {
      if (!column.generated) {
        columns_.push_back(column.name);
        overriding_ = overriding_ || column.identityAlways;
      }
    }
    columnList_ = plan::quoteIdentList(columns_);
    tx_.exec_params("CREATE TEMP TABLE " + std::string(kCopy) + " ON COMMIT DROP AS SELECT " +
                    columnList_ + " FROM " + rel_ + " WITH NO DATA");
    tx_.exec_params("INSERT INTO pg_temp." + std::string(kCopy) + " SELECT " + columnList_ +
                        " FROM " + rel_ + byRow(1),
                    tableoid_, ctid_);
    tx_.exec_params("GRANT SELECT ON pg_temp." + std::string(kCopy) + " TO " +
                    quoteIdent(spec_.database.appRole));
  }

  template <typename... Params>
  std::int64_t count(pqxx::transaction_base& tx, const std::string& sql, Params&&... params) {
    const pqxx::row row = tx.exec_params1(sql, std::forward<Params>(params)...);
    return row[0].as<std::int64_t>();
  }

  void probeSelect() {
    if (!seen_.access.select) {
      return;
    }
    asApp(tx_, spec_.database.appRole, spec_.tenant.setting, seen_.sessionTenant,
          [&](pqxx::transaction_base& app) {
            const StatementResult counted = attempt(app, [&](pqxx::transaction_base& s) {
              seen_.othersVisible = count(s,
                                          "SELECT count(*) FROM " + rel_ + " WHERE " + column_ +
                                              " IS DISTINCT FROM $1::" + type_,
                                          seen_.sessionTenant);
              seen_.rowVisible =
                  count(s, "SELECT count(*) FROM " + rel_ + byRow(1), tableoid_, ctid_);
              seen_.visible = count(s, "SELECT count(*) FROM " + rel_);
              return std::size_t{0};
            });
            seen_.selectError = counted.error;
          });
  }

  // `sql` on R as the app role with Y set.
  StatementResult asOther(const std::string& sql, bool allowed) {
    StatementResult out;
    if (!allowed) {
      return out;
    }
    asApp(tx_, spec_.database.appRole, spec_.tenant.setting, seen_.sessionTenant,
          [&](pqxx::transaction_base& app) {
            out = attempt(app, [&](pqxx::transaction_base& s) {
              return s.exec_params(sql, tableoid_, ctid_).affected_rows();
            });
          });
    return out;
  }

  std::string insertInto() const {
    return "INSERT INTO " + rel_ + " (" + columnList_ + ")" +
           (overriding_ ? " OVERRIDING SYSTEM VALUE" : "");
  }

  void probeInsert() {
    if (!seen_.access.insert) {
      return;
    }
    asApp(tx_, spec_.database.appRole, spec_.tenant.setting, seen_.sessionTenant,
          [&](pqxx::transaction_base& app) {
            seen_.insert = attempt(app, [&](pqxx::transaction_base& s) {
              return s
                  .exec_params(insertInto() + " SELECT " + columnList_ + " FROM pg_temp." + kCopy)
                  .affected_rows();
            });
          });
  }

  void probeOnConflict() {
    const std::vector<std::string> target = conflictTarget(relation_);
    if (target.empty()) {
      return;
    }
    seen_.conflictTarget = plan::quoteIdentList(target);
    std::vector<std::string> values;
    for (const std::string& column : columns_) {
      values.push_back(column == relation_.tenantColumn ? "$1::" + type_
                                                        : "c." + quoteIdent(column));
    }
    const std::string sql = insertInto() + " SELECT " + joined(values) + " FROM pg_temp." + kCopy +
                            " AS c ON CONFLICT (" + seen_.conflictTarget + ") DO UPDATE SET " +
                            column_ + " = EXCLUDED." + column_;
    const std::string rowVisible = "SELECT count(*) FROM " + rel_ + byRow(1);
    asApp(
        tx_, spec_.database.appRole, spec_.tenant.setting, seen_.rowTenant,
        [&](pqxx::transaction_base& app) {
          const std::int64_t before = count(app, rowVisible, tableoid_, ctid_);
          app.exec_params("SELECT set_config($1, $2, true)", spec_.tenant.setting,
                          seen_.sessionTenant);
          seen_.onConflict = attempt(app, [&](pqxx::transaction_base& s) {
            const std::size_t affected = s.exec_params(sql, seen_.sessionTenant).affected_rows();
            s.exec_params("SELECT set_config($1, $2, true)", spec_.tenant.setting, seen_.rowTenant);
            seen_.rowChangedByConflict = before == 1 && count(s, rowVisible, tableoid_, ctid_) == 0;
            return affected;
          });
        });
  }

  void probeMove() {
    asApp(tx_, spec_.database.appRole, spec_.tenant.setting, seen_.rowTenant,
          [&](pqxx::transaction_base& app) {
            seen_.move = attempt(app, [&](pqxx::transaction_base& s) {
              return s
                  .exec_params("UPDATE " + rel_ + " SET " + column_ + " = $1::" + type_ + byRow(2),
                               seen_.sessionTenant, tableoid_, ctid_)
                  .affected_rows();
            });
          });
  }

  pqxx::transaction_base& tx_;
  const api::MigrationSpec& spec_;
  const RelationFacts& relation_;
  const RelationFacts* tenants_;
  ProbeObservation& seen_;
  const std::string rel_;
  const std::string column_;
  const std::string type_;
  std::string tableoid_;
  std::string ctid_;
  std::vector<std::string> columns_;
  std::string columnList_;
  bool overriding_ = false;
};

}  // namespace

std::string absentTenant(const std::string& type, const std::string& avoid) {
  std::vector<std::string> candidates;
  if (type == "uuid") {
    candidates = {"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"};
  } else if (isIntegerType(type)) {
    candidates = {"-1", "-2"};
  } else {
    candidates = {"tenantshift-probe", "tenantshift-probe-2"};
  }
  return candidates.front() != avoid ? candidates.front() : candidates.back();
}

ProbeObservation observeIsolation(pqxx::connection& connection, const VerifyOptions& options,
                                  const api::MigrationSpec& spec, const RelationFacts& relation,
                                  const RelationFacts* tenants) {
  ProbeObservation seen;
  const UnitRun run =
      runUnit(connection, options, "probing " + relation.label(spec.database.schema),
              [&](pqxx::connection& c) {
                seen = ProbeObservation();
                seen.access = relation.app;
                RepeatableRead tx(c, "tenantshift_verify_probe");
                setLockTimeout(tx, spec.ddl.lockTimeout);
                Prober(tx, spec, relation, tenants, seen).run();
                tx.abort();
              });
  seen.ran = run.done;
  seen.notProven = run.error;
  return seen;
}

}  // namespace tenantshift::verify
