#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tenantshift::api {

enum class TenantIdType { Uuid, Bigint, Text };

// "uuid", "bigint", "text": the PostgreSQL type name used in casts and column definitions.
const char* sqlTypeName(TenantIdType type);

struct DatabaseSpec {
  std::string schema = "public";
  std::string appRole;  // the application's login role; verified as the one RLS applies to
};

struct DefaultTenant {
  std::string id = "00000000-0000-0000-0000-000000000001";
  std::string slug = "default";
  std::string name = "Default Tenant";
};

struct TenantSpec {
  std::string table = "tenants";
  std::string column = "tenant_id";  // the tenant column added to every tenant table
  TenantIdType idType = TenantIdType::Uuid;
  std::string setting = "app.current_tenant_id";
  std::string bypassRole = "tenantshift_bypass";
  DefaultTenant defaultTenant;
  // When set, the rls phase creates this SECURITY DEFINER function (slug -> tenant id) in the
  // schema, executable by the application role: how an application resolves a tenant at login
  // once the tenants table shows each session only its own row.
  std::string lookupFunction;
  // How a tenants row the engine creates (for a column-sourced table's value that has none) is
  // filled: column -> value template, in manifest order. `{id}` stands for the new tenant's id as
  // text, `{id:letters}` for it spelled in letters (0-9 as a-j, a uuid's a-f as k-p, dashes
  // dropped). The value is inserted as a value (cast to the column's type), never as SQL.
  // Columns not listed get tenantshift's own values (see plan::tenantsRowFromId).
  std::vector<std::pair<std::string, std::string>> newTenantRow;
};

// Where a table's existing rows get their tenant from.
struct TenantSource {
  enum class Kind {
    Default,  // the default tenant (`from: {default: true}`)
    Parent,   // the tenant of the row referenced by `via` in `parent` (`from: {parent, via}`)
    Column,   // the value of an existing column of the row (`from: {column}`)
  };
  Kind kind = Kind::Default;
  std::string parent;            // Kind::Parent
  std::vector<std::string> via;  // Kind::Parent: this table's FK columns, in order
  std::string column;            // Kind::Column
};

struct TableSpec {
  std::string name;
  std::optional<TenantSource> from;     // absent: derived from the foreign-key graph
  std::vector<std::string> keepUnique;  // unique constraints/indexes left global (not rewritten)
  // Foreign keys of this table whose rows may legitimately reference another tenant's row (a
  // customer of one branch renting at another): verify reports them as accepted, and they keep
  // their single-column form instead of becoming tenant-consistent (tenant_id, fk) keys.
  std::vector<std::string> crossTenantRefs;
  // Indexes not rebuilt to lead with the tenant column (verify lists them as accepted planner
  // side channels: EXPLAIN ANALYZE counts of rows the policies removed).
  std::vector<std::string> keepIndexes;
};

// spec.backfill.throttle.probe: the query whose latency stands for the application's.
struct ThrottleProbeSpec {
  std::string sql = "SELECT 1";  // run as database.appRole, in a transaction rolled back
  std::chrono::milliseconds interval{20};
  std::chrono::milliseconds timeout{1000};  // statement_timeout of one probe
  // Each probe ends with a durable commit (of a one-row write in the ledger), so that it waits for
  // the WAL flush the application's commits wait for.
  bool commit = true;
};

// spec.backfill.throttle: the closed loop that slows the backfill down when the application
// suffers (see analysis::ThrottleController).
struct ThrottleSpec {
  bool enabled = true;
  ThrottleProbeSpec probe;
  int baselineSamples = 200;  // probe samples before the first batch: the baseline
  int windowSamples = 100;    // samples per judgement
  int maxLatencyIncreasePercent = 25;
  // The p99 may always rise this much: scheduler noise alone moves a sub-millisecond probe's p99
  // by a few milliseconds (tests/unit/analysis/data: to 4.8 ms in a window of 100 samples, from a
  // baseline of 0.52 ms, on a healthy, shared 2-core machine).
  std::chrono::milliseconds minLatencyIncrease{5};
  std::chrono::milliseconds maxReplicationLag{10000};  // 0: not throttled on replication lag
  std::chrono::milliseconds maxLockWait{200};          // 0: not throttled on lock waits
  std::chrono::milliseconds maxPause{5000};
};

struct BackfillSpec {
  std::optional<int> batchSize;  // given: every batch has this size (no adaptation)
  std::chrono::milliseconds targetBatchDuration{200};
  int minBatchSize = 100;
  int maxBatchSize = 100000;
  std::chrono::milliseconds pause{0};  // the minimum pause between batches
  ThrottleSpec throttle;
};

struct DdlSpec {
  std::chrono::milliseconds lockTimeout{1000};
  int retries = 30;
  // How long a CREATE INDEX CONCURRENTLY may wait for its lock and for older transactions to end
  // before it gives up. Its SHARE UPDATE EXCLUSIVE lock never blocks the application's reads and
  // writes, so it may wait much longer than lockTimeout.
  std::chrono::milliseconds indexBuildTimeout{std::chrono::hours(1)};
};

// spec.featureFlag.sql: statements run in the database, in the step's transaction.
struct SqlFeatureFlag {
  std::string on;
  std::string off;
};

// spec.featureFlag.configMap: a key of a ConfigMap the application reads.
struct ConfigMapFeatureFlag {
  std::string ns;  // "": the migration's namespace, else the Kubernetes context's
  std::string name;
  std::string key;
  std::string on;
  std::string off;
};

// spec.featureFlag.deployment: an environment variable of one container of a Deployment (what
// `kubectl set env` changes). The flag counts as flipped once the rollout it starts is complete.
struct DeploymentFeatureFlag {
  std::string ns;  // "": the migration's namespace, else the Kubernetes context's
  std::string name;
  std::string container;
  std::string env;
  std::string on;
  std::string off;
  std::chrono::milliseconds rolloutTimeout{std::chrono::minutes(10)};
};

// At most one of them (the parser refuses two).
struct FeatureFlagSpec {
  std::optional<SqlFeatureFlag> sql;
  std::optional<ConfigMapFeatureFlag> configMap;
  std::optional<DeploymentFeatureFlag> deployment;
};

// Exposures reviewed and deliberately kept: verify lists each as accepted instead of failing.
struct AcceptSpec {
  std::vector<std::string> views;              // stay as they are (not made security_invoker)
  std::vector<std::string> materializedViews;  // the application role keeps its SELECT
  std::vector<std::string> functions;  // SECURITY DEFINER functions: name, or name(arg types)
  std::vector<std::string> writableGlobalTables;  // excluded tables the app role may write

  bool empty() const;
};

struct MigrationSpec {
  DatabaseSpec database;
  TenantSpec tenant;
  std::optional<std::vector<TableSpec>> tables;  // absent: every table of the schema
  std::vector<std::string> exclude;
  bool rewriteUniques = true;
  // Indexes of tenant tables that do not lead with the tenant column are rebuilt to lead with it
  // (closing the EXPLAIN ANALYZE side channel); the old ones are dropped after the flag.
  bool rewriteIndexes = true;
  // Foreign keys between tenant tables become (tenant, fk) -> parent (tenant, key), so that a
  // row can only reference a parent row of its own tenant.
  bool tenantForeignKeys = true;
  AcceptSpec accept;
  BackfillSpec backfill;
  DdlSpec ddl;
  FeatureFlagSpec featureFlag;

  const TableSpec* findTable(const std::string& name) const;
  bool isExcluded(const std::string& name) const;
};

struct ObjectMeta {
  std::string name;
  std::string ns;  // metadata.namespace
};

// The full manifest a user applies: apiVersion tenantshift.dev/v1alpha1, kind TenantMigration.
struct TenantMigration {
  std::string apiVersion;
  std::string kind;
  ObjectMeta metadata;
  MigrationSpec spec;
};

inline constexpr const char* kApiVersion = "tenantshift.dev/v1alpha1";
inline constexpr const char* kKind = "TenantMigration";

}  // namespace tenantshift::api
