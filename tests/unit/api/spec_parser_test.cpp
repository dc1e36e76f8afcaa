#include "api/spec_parser.h"

#include <gtest/gtest.h>

#include "api/duration.h"
#include "api/spec_error.h"
#include "api/spec_json.h"

namespace tenantshift::api {
namespace {

const char* kFullManifest = R"(
apiVersion: tenantshift.dev/v1alpha1
kind: TenantMigration
metadata: {name: alphapulse, namespace: trading}
spec:
  database: {schema: public, appRole: alphapulse_app}
  tenant:
    table: tenants
    idType: uuid
    setting: app.current_tenant_id
    default: {id: "00000000-0000-0000-0000-000000000001", slug: default, name: Default Tenant}
  tables:
    - name: users
    - name: trades
      from: {parent: users, via: user_id}
    - name: stores_data
      from: {column: store_id}
      keepUnique: [stores_data_code_key]
  exclude: [alembic_version]
  backfill: {batchSize: 5000, pause: 20ms}
  ddl: {lockTimeout: 1s, retries: 30}
  featureFlag: {sql: {on: "UPDATE feature_flags SET enabled = true", off: "UPDATE feature_flags SET enabled = false"}}
)";

std::string manifestWithSpec(const std::string& spec) {
  return "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nmetadata: {name: m}\n"
         "spec:\n" +
         spec;
}

// The field named by the SpecError the manifest raises ("" when it parses).
std::string errorField(const std::string& manifest) {
  try {
    parseTenantMigration(manifest);
  } catch (const SpecError& error) {
    return error.field();
  }
  return "";
}

TEST(SpecParser, ReadsTheFullManifest) {
  auto migration = parseTenantMigration(kFullManifest);
  EXPECT_EQ(migration.metadata.name, "alphapulse");
  EXPECT_EQ(migration.metadata.ns, "trading");
  const auto& spec = migration.spec;
  EXPECT_EQ(spec.database.appRole, "alphapulse_app");
  EXPECT_EQ(spec.tenant.idType, TenantIdType::Uuid);
  EXPECT_EQ(spec.tenant.defaultTenant.slug, "default");
  ASSERT_TRUE(spec.tables.has_value());
  ASSERT_EQ(spec.tables->size(), 3U);
  EXPECT_FALSE((*spec.tables)[0].from.has_value());
  const auto& trades = (*spec.tables)[1];
  ASSERT_TRUE(trades.from.has_value());
  EXPECT_EQ(trades.from->kind, TenantSource::Kind::Parent);
  EXPECT_EQ(trades.from->parent, "users");
  EXPECT_EQ(trades.from->via, std::vector<std::string>{"user_id"});
  EXPECT_EQ((*spec.tables)[2].from->kind, TenantSource::Kind::Column);
  EXPECT_EQ((*spec.tables)[2].keepUnique, std::vector<std::string>{"stores_data_code_key"});
  EXPECT_EQ(spec.exclude, std::vector<std::string>{"alembic_version"});
  EXPECT_EQ(spec.backfill.batchSize, 5000);
  EXPECT_EQ(spec.backfill.pause, std::chrono::milliseconds(20));
  EXPECT_EQ(spec.ddl.lockTimeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(spec.ddl.retries, 30);
  ASSERT_TRUE(spec.featureFlag.sql.has_value());
  EXPECT_EQ(spec.featureFlag.sql->on, "UPDATE feature_flags SET enabled = true");
}

TEST(SpecParser, FillsDefaultsForAMinimalSpec) {
  auto migration = parseTenantMigration(manifestWithSpec("  database: {appRole: app}\n"));
  const auto& spec = migration.spec;
  EXPECT_EQ(spec.database.schema, "public");
  EXPECT_EQ(spec.tenant.table, "tenants");
  EXPECT_EQ(spec.tenant.column, "tenant_id");
  EXPECT_EQ(spec.tenant.setting, "app.current_tenant_id");
  EXPECT_FALSE(spec.tables.has_value());
  EXPECT_TRUE(spec.rewriteUniques);
  EXPECT_FALSE(spec.featureFlag.sql.has_value());
}

TEST(SpecParser, CompositeViaIsAList) {
  auto migration = parseTenantMigration(
      manifestWithSpec("  database: {appRole: app}\n  tables:\n    - name: lines\n"
                       "      from: {parent: orders, via: [order_region, order_no]}\n"));
  EXPECT_EQ((*migration.spec.tables)[0].from->via,
            (std::vector<std::string>{"order_region", "order_no"}));
}

TEST(SpecParser, UnknownFieldsAreNamed) {
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  bakfill: {}\n")),
            "spec.bakfill");
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tables:\n    - name: t\n      from: {parnet: u}\n")),
            "spec.tables[0].from.parnet");
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app, sschema: x}\n")),
            "spec.database.sschema");
}

TEST(SpecParser, UnknownFieldMessageListsTheKnownOnes) {
  try {
    parseTenantMigration(manifestWithSpec("  database: {appRole: app}\n  ddl: {lockTimout: 1s}\n"));
    FAIL() << "expected a SpecError";
  } catch (const SpecError& error) {
    EXPECT_NE(std::string(error.what()).find("lockTimeout"), std::string::npos) << error.what();
  }
}

TEST(SpecParser, InvalidDefaultIdForIdType) {
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tenant: {idType: uuid, default: {id: '42'}}\n")),
            "spec.tenant.default.id");
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tenant: {idType: bigint, default: {id: abc}}\n")),
            "spec.tenant.default.id");
  // The default id is a uuid: switching idType without giving an id names idType.
  EXPECT_EQ(
      errorField(manifestWithSpec("  database: {appRole: app}\n  tenant: {idType: bigint}\n")),
      "spec.tenant.idType");
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tenant: {idType: bigint, default: {id: '7'}}\n")),
            "");
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tenant: {idType: text, default: {id: acme}}\n")),
            "");
}

TEST(SpecParser, RejectsBadValues) {
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  tenant: {idType: int}\n")),
            "spec.tenant.idType");
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tenant: {setting: current_tenant}\n")),
            "spec.tenant.setting");
  EXPECT_EQ(
      errorField(manifestWithSpec("  database: {appRole: app}\n  backfill: {batchSize: 0}\n")),
      "spec.backfill.batchSize");
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  backfill: {pause: 20}\n")),
            "spec.backfill.pause");
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  ddl: {lockTimeout: 0ms}\n")),
            "spec.ddl.lockTimeout");
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  ddl: {retries: many}\n")),
            "spec.ddl.retries");
  EXPECT_EQ(errorField(manifestWithSpec("  database: {schema: public}\n")),
            "spec.database.appRole");
  EXPECT_EQ(
      errorField(manifestWithSpec(
          "  database: {appRole: app}\n  featureFlag: {sql: {on: 'UPDATE f SET e = true'}}\n")),
      "spec.featureFlag.sql.off");
}

TEST(SpecParser, ReadsTheBackfillThrottle) {
  using std::chrono::milliseconds;
  const auto defaults = parseTenantMigration(manifestWithSpec("  database: {appRole: app}\n")).spec;
  EXPECT_FALSE(defaults.backfill.batchSize.has_value());  // adaptive
  EXPECT_EQ(defaults.backfill.targetBatchDuration, milliseconds(200));
  EXPECT_EQ(defaults.backfill.pause, milliseconds(0));
  EXPECT_TRUE(defaults.backfill.throttle.enabled);
  EXPECT_EQ(defaults.backfill.throttle.probe.sql, "SELECT 1");
  EXPECT_TRUE(defaults.backfill.throttle.probe.commit);
  EXPECT_EQ(defaults.backfill.throttle.maxLatencyIncreasePercent, 25);

  const auto spec = parseTenantMigration(manifestWithSpec(R"(  database: {appRole: app}
  backfill:
    targetBatchDuration: 500ms
    minBatchSize: 50
    maxBatchSize: 20000
    pause: 5ms
    throttle:
      probe: {sql: "SELECT id FROM orders WHERE id = 1", interval: 50ms, timeout: 2s, commit: false}
      baselineSamples: 300
      windowSamples: 150
      maxLatencyIncreasePercent: 10
      minLatencyIncrease: 2ms
      maxReplicationLag: 30s
      maxLockWait: 0ms
      maxPause: 2s
)"))
                        .spec;
  const auto& backfill = spec.backfill;
  EXPECT_EQ(backfill.targetBatchDuration, milliseconds(500));
  EXPECT_EQ(backfill.minBatchSize, 50);
  EXPECT_EQ(backfill.maxBatchSize, 20000);
  EXPECT_EQ(backfill.pause, milliseconds(5));
  EXPECT_EQ(backfill.throttle.probe.sql, "SELECT id FROM orders WHERE id = 1");
  EXPECT_EQ(backfill.throttle.probe.interval, milliseconds(50));
  EXPECT_EQ(backfill.throttle.probe.timeout, milliseconds(2000));
  EXPECT_FALSE(backfill.throttle.probe.commit);
  EXPECT_EQ(backfill.throttle.baselineSamples, 300);
  EXPECT_EQ(backfill.throttle.windowSamples, 150);
  EXPECT_EQ(backfill.throttle.maxLatencyIncreasePercent, 10);
  EXPECT_EQ(backfill.throttle.minLatencyIncrease, milliseconds(2));
  EXPECT_EQ(backfill.throttle.maxReplicationLag, milliseconds(30000));
  EXPECT_EQ(backfill.throttle.maxLockWait, milliseconds(0));
  EXPECT_EQ(backfill.throttle.maxPause, milliseconds(2000));
  // The spec's JSON (the ledger's copy, what the hash is of) reads back to the same spec, in
  // both the adaptive and the fixed form.
  auto fixed = spec;
  fixed.backfill.batchSize = 1000;
  for (const auto& original : {spec, fixed}) {
    const auto reread = parseTenantMigration(
                            "apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\n"
                            "metadata: {name: m}\nspec: " +
                            toJson(original).dump() + "\n")
                            .spec;
    EXPECT_EQ(toJson(reread), toJson(original));
    EXPECT_EQ(reread.backfill.batchSize, original.backfill.batchSize);
  }
  EXPECT_NE(specHash(spec), specHash(defaults));
  EXPECT_NE(specHash(spec), specHash(fixed));
}

TEST(SpecParser, RejectsBadBackfillSettingsNamingTheField) {
  const auto error = [](const std::string& backfill) {
    return errorField(
        manifestWithSpec("  database: {appRole: app}\n  backfill: " + backfill + "\n"));
  };
  EXPECT_EQ(error("{batchSize: 1000, targetBatchDuration: 1s}"),
            "spec.backfill.targetBatchDuration");
  EXPECT_EQ(error("{targetBatchDuration: 0ms}"), "spec.backfill.targetBatchDuration");
  EXPECT_EQ(error("{minBatchSize: 0}"), "spec.backfill.minBatchSize");
  EXPECT_EQ(error("{minBatchSize: 500, maxBatchSize: 100}"), "spec.backfill.maxBatchSize");
  EXPECT_EQ(error("{minBatchSize: 200000}"), "spec.backfill.minBatchSize");
  EXPECT_EQ(error("{throttle: {speed: fast}}"), "spec.backfill.throttle.speed");
  EXPECT_EQ(error("{throttle: {enabled: yes-please}}"), "spec.backfill.throttle.enabled");
  EXPECT_EQ(error("{throttle: {probe: {sql: ''}}}"), "spec.backfill.throttle.probe.sql");
  EXPECT_EQ(error("{throttle: {probe: {interval: 0ms}}}"), "spec.backfill.throttle.probe.interval");
  EXPECT_EQ(error("{throttle: {probe: {interval: 2m}}}"), "spec.backfill.throttle.probe.interval");
  EXPECT_EQ(error("{throttle: {probe: {timeout: 0s}}}"), "spec.backfill.throttle.probe.timeout");
  EXPECT_EQ(error("{throttle: {probe: {commit: sometimes}}}"),
            "spec.backfill.throttle.probe.commit");
  EXPECT_EQ(error("{throttle: {baselineSamples: 5}}"), "spec.backfill.throttle.baselineSamples");
  EXPECT_EQ(error("{throttle: {windowSamples: many}}"), "spec.backfill.throttle.windowSamples");
  EXPECT_EQ(error("{throttle: {maxLatencyIncreasePercent: 0}}"),
            "spec.backfill.throttle.maxLatencyIncreasePercent");
  EXPECT_EQ(error("{throttle: {maxReplicationLag: 10}}"),
            "spec.backfill.throttle.maxReplicationLag");
  EXPECT_EQ(error("{throttle: {maxPause: 0ms}}"), "spec.backfill.throttle.maxPause");
}

TEST(SpecParser, ReadsNewTenantRowTemplatesAndNamesBadOnes) {
  const std::string base =
      "  database: {appRole: app}\n  tenant: {idType: bigint, default: {id: \"1\"}, "
      "newTenantRow: ";
  const auto migration = parseTenantMigration(
      manifestWithSpec(base + "{slug: \"t{id:letters}\", name: \"Branch {id}\"}}\n"));
  ASSERT_EQ(migration.spec.tenant.newTenantRow.size(), 2U);
  EXPECT_EQ(migration.spec.tenant.newTenantRow[0].first, "slug");
  EXPECT_EQ(migration.spec.tenant.newTenantRow[0].second, "t{id:letters}");
  EXPECT_EQ(migration.spec.tenant.newTenantRow[1].second, "Branch {id}");
  EXPECT_EQ(toJson(migration.spec)["tenant"]["newTenantRow"]["name"], "Branch {id}");
  EXPECT_EQ(errorField(manifestWithSpec(base + "{slug: \"t{ID}\"}}\n")),
            "spec.tenant.newTenantRow.slug");
  EXPECT_EQ(errorField(manifestWithSpec(base + "[slug]}\n")), "spec.tenant.newTenantRow");
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tenant: {idType: text, default: {id: x}, "
                "newTenantRow: {slug: \"{id:letters}\"}}\n")),
            "spec.tenant.newTenantRow.slug");
}

TEST(SpecParser, RejectsAmbiguousOrIncompleteSources) {
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  tables:\n    - name: t\n"
                                        "      from: {parent: u, via: u_id, column: c}\n")),
            "spec.tables[0].from");
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  tables:\n    - name: t\n"
                                        "      from: {parent: u}\n")),
            "spec.tables[0].from.via");
  EXPECT_EQ(errorField(manifestWithSpec(
                "  database: {appRole: app}\n  tables:\n    - name: t\n    - name: t\n")),
            "spec.tables[1].name");
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: app}\n  tables:\n    - name: t\n"
                                        "  exclude: [a, t]\n")),
            "spec.exclude[1]");
}

TEST(SpecParser, RejectsWrongKindAndVersion) {
  EXPECT_EQ(errorField("apiVersion: v1\nkind: TenantMigration\nmetadata: {name: m}\nspec: {}\n"),
            "apiVersion");
  EXPECT_EQ(errorField("apiVersion: tenantshift.dev/v1alpha1\nkind: Pod\nmetadata: {name: m}\n"),
            "kind");
  EXPECT_EQ(errorField("apiVersion: tenantshift.dev/v1alpha1\nkind: TenantMigration\nspec: {}\n"),
            "metadata.name");
  EXPECT_EQ(errorField("spec: [unclosed\n"), "manifest");
}

TEST(SpecParser, RejectsOverlongIdentifiers) {
  std::string longName(64, 'x');
  EXPECT_EQ(errorField(manifestWithSpec("  database: {appRole: " + longName + "}\n")),
            "spec.database.appRole");
}

TEST(SpecHash, IsStableAndSensitiveToTheSpec) {
  auto a = parseTenantMigration(kFullManifest).spec;
  auto b = parseTenantMigration(kFullManifest).spec;
  EXPECT_EQ(specHash(a), specHash(b));
  EXPECT_EQ(specHash(a).size(), 16U);
  b.backfill.batchSize = 100;
  EXPECT_NE(specHash(a), specHash(b));
}

TEST(Duration, ParsesAndFormats) {
  EXPECT_EQ(parseDuration("20ms"), std::chrono::milliseconds(20));
  EXPECT_EQ(parseDuration("1m30s"), std::chrono::milliseconds(90000));
  EXPECT_EQ(parseDuration("2h"), std::chrono::milliseconds(7200000));
  EXPECT_FALSE(parseDuration("20").has_value());
  EXPECT_FALSE(parseDuration("ms").has_value());
  EXPECT_FALSE(parseDuration("5 s").has_value());
  EXPECT_FALSE(parseDuration("-1s").has_value());
  EXPECT_EQ(formatDuration(std::chrono::milliseconds(90020)), "1m30s20ms");
  EXPECT_EQ(parseDuration(formatDuration(std::chrono::milliseconds(3723004))),
            std::chrono::milliseconds(3723004));
}

}  // namespace
}  // namespace tenantshift::api
