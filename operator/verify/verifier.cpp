#include "verify/verifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "verify/data_unit.h"
#include "verify/empty_table_checks.h"
#include "verify/expected_condition_unit.h"
#include "verify/exposure_reader.h"
#include "verify/fingerprint.h"
#include "verify/foreign_key_unit.h"
#include "verify/index_usage_unit.h"
#include "verify/key_checks.h"
#include "verify/probe_unit.h"
#include "verify/relation_reader.h"
#include "verify/rls_checks.h"
#include "verify/role_reader.h"
#include "verify/setting_reader.h"
#include "verify/sql_support.h"
#include "verify/unit_runner.h"

namespace tenantshift::verify {

namespace {

// The facts read in the catalog unit.
struct Catalog {
  RoleFacts role;
  std::string appOid = "0";
  std::vector<RelationFacts> relations;
  SettingFacts setting;
  ExposureFacts exposures;
  std::string fingerprint;
};

class Verifier {
 public:
  Verifier(pqxx::connection& connection, const VerifyInputs& inputs, const VerifyOptions& options)
      : connection_(connection),
        inputs_(inputs),
        options_(options),
        spec_(inputs.spec),
        schema_(inputs.spec.database.schema) {}

  VerifyReport run() {
    // Before anything in this session sets the tenant: afterwards it reads '' at best.
    const std::optional<std::string> sessionValue =
        readSessionSetting(connection_, spec_.tenant.setting);
    if (!readCatalog(sessionValue)) {
      return std::move(report_);
    }
    report_.fingerprint = catalog_.fingerprint;
    appUsable_ = appRoleUsable(catalog_.role);
    checkCatalog();
    for (const RelationFacts& relation : probed()) {
      if (appUsable_) {
        add(checkVisibility("setting.unset", relation, schema_, spec_.tenant.setting, sqlTypeName(),
                            unsetHow(sessionValue),
                            observeUnset(connection_, options_, spec_, relation), inputs_.strict));
      }
    }
    for (const RelationFacts& relation : probed()) {
      checkData(relation);
    }
    if (appUsable_) {
      for (const RelationFacts& relation : probed()) {
        checkIsolation(relation);
      }
    } else {
      add(result("isolation", "", CheckOutcome::Failed,
                 "isolation not proven: the probes run as the app role, which verify cannot "
                 "assume (see role.exists / role.assumable)"));
    }
    checkFingerprintStable();
    spdlog::info("verify done checks={} failed={} warnings={} accepted={} unaccepted_exposures={}",
                 report_.checks.size(), report_.count(CheckOutcome::Failed),
                 report_.count(CheckOutcome::Warning), report_.count(CheckOutcome::Accepted),
                 report_.unacceptedExposures().size());
    return std::move(report_);
  }

 private:
  void add(CheckResult item) {
    if (item.outcome == CheckOutcome::Failed) {
      spdlog::warn("verify failed check={} table=\"{}\" detail=\"{}\"", item.check, item.table,
                   item.detail);
    } else {
      spdlog::debug("verify check={} table=\"{}\" outcome={}", item.check, item.table,
                    toString(item.outcome));
    }
    report_.checks.push_back(std::move(item));
  }

  void add(std::vector<CheckResult> items) {
    for (CheckResult& item : items) {
      add(std::move(item));
    }
  }

  std::string sqlTypeName() const { return api::sqlTypeName(spec_.tenant.idType); }

  static std::string unsetHow(const std::optional<std::string>& sessionValue) {
    if (!sessionValue) {
      return "never set in this session";
    }
    return "as this session had it ('" + *sessionValue + "')";
  }

  bool readCatalog(const std::optional<std::string>& sessionValue) {
    const UnitRun run =
        runUnit(connection_, options_, "reading the catalog", [&](pqxx::connection& c) {
          pqxx::transaction<pqxx::isolation_level::repeatable_read> tx(c, "tenantshift_verify");
          setLockTimeout(tx, spec_.ddl.lockTimeout);
          Catalog catalog;
          catalog.role = readRoleFacts(tx, spec_.database.appRole, catalog.appOid);
          catalog.relations = readRelations(tx, spec_, inputs_.plan, catalog.appOid);
          catalog.setting =
              readSettingFacts(tx, spec_.tenant.setting, spec_.database.appRole, sessionValue);
          catalog.exposures = readExposures(tx, schema_, catalog.relations, catalog.appOid);
          catalog.fingerprint = schemaFingerprint(tx, fingerprintScope(spec_, inputs_.plan));
          tx.abort();
          catalog_ = std::move(catalog);
        });
    if (!run.done) {
      add(result("verify.catalog", "", CheckOutcome::Failed,
                 "isolation not proven: the catalog of schema " + schema_ +
                     " could not be read: " + run.error));
    }
    return run.done;
  }

  void checkCatalog() {
    add(checkRoles(catalog_.role, catalog_.relations, schema_));
    for (const RelationFacts& relation : catalog_.relations) {
      add(checkRowSecurity(relation, schema_, expectedCondition(relation), inputs_.strict));
    }
    add(checkSettingDefaults(catalog_.setting, spec_.database.appRole));
    for (const RelationFacts& relation : catalog_.relations) {
      add(checkKeys(spec_, inputs_.plan, inputs_.strict, relation));
    }
    const ExposureFacts& exposures = catalog_.exposures;
    add(checkViews(spec_, exposures.views, exposures.owners, catalog_.relations));
    add(checkFunctions(spec_, exposures.functions, exposures.owners, catalog_.relations));
    add(checkLedger(spec_.database.appRole, exposures.ledger));
    add(checkGlobalTables(spec_, exposures.globalTables));
    add(checkLargeObjects(spec_.database.appRole, exposures.largeObjects));
  }

  // The relations whose rows are counted and probed: those that exist with their tenant column.
  std::vector<RelationFacts> probed() const {
    std::vector<RelationFacts> out;
    for (const RelationFacts& relation : catalog_.relations) {
      if (relation.exists && relation.hasTenantColumn) {
        out.push_back(relation);
      }
    }
    return out;
  }

  const RelationFacts* tenants() const {
    for (const RelationFacts& relation : catalog_.relations) {
      if (relation.kind == RelationKind::TenantsTable) {
        return &relation;
      }
    }
    return nullptr;
  }

  const RelationFacts* findRelation(const std::string& schema, const std::string& name) const {
    for (const RelationFacts& relation : catalog_.relations) {
      if (relation.exists && relation.schema == schema && relation.name == name) {
        return &relation;
      }
    }
    return nullptr;
  }

  void checkData(const RelationFacts& relation) {
    const DataUnitResult observed =
        observeData(connection_, options_, spec_, relation, tenants(), appUsable_);
    if (relation.kind != RelationKind::Partition) {
      std::optional<std::int64_t> baseline;
      auto it = inputs_.baselineCounts.find(relation.name);
      if (it != inputs_.baselineCounts.end()) {
        baseline = it->second;
      }
      add(verify::checkData(relation, schema_, tenantsLabel(), baseline, observed.data));
    }
    if (appUsable_) {
      add(checkVisibility("setting.empty", relation, schema_, spec_.tenant.setting, sqlTypeName(),
                          "set to ''", observed.empty, inputs_.strict));
    }
    if (relation.kind == RelationKind::TenantsTable) {
      return;
    }
    for (const ForeignKeyFacts& fk : relation.foreignKeys) {
      const RelationFacts* parent = findRelation(fk.referencedSchema, fk.referencedTable);
      if (parent == nullptr || parent->kind == RelationKind::TenantsTable) {
        continue;  // not between tenant tables
      }
      add(checkForeignKey(
          spec_, inputs_.plan,
          observeForeignKey(connection_, options_, spec_, inputs_.plan, relation, fk, *parent)));
    }
    if (relation.kind == RelationKind::TenantTable) {
      const std::string tenant = observed.data.largest.empty()
                                     ? spec_.tenant.defaultTenant.id
                                     : observed.data.largest.front().tenant;
      add(checkTenantFilter(relation, catalog_.relations, schema_,
                            observeIndexUsage(connection_, options_, spec_, relation, tenant)));
    }
  }

  std::string tenantsLabel() const {
    const RelationFacts* table = tenants();
    return table == nullptr ? spec_.tenant.table : table->label(schema_);
  }

  void checkIsolation(const RelationFacts& relation) {
    const ProbeObservation seen =
        observeIsolation(connection_, options_, spec_, relation, tenants());
    if (options_.afterRelationProbed) {
      options_.afterRelationProbed(relation.label(schema_));
    }
    if (seen.ran && seen.empty) {
      add(checkEmptyTable(relation, schema_, expectedCondition(relation), inputs_.strict));
      return;
    }
    add(checkProbes(relation, schema_, seen));
  }

  // The plan's policy conditions for the relation's tenant column, computed once per column.
  const ExpectedCondition& expectedCondition(const RelationFacts& relation) {
    static const ExpectedCondition none;
    if (!relation.exists || !relation.hasTenantColumn) {
      return none;
    }
    const std::string key = relation.tenantColumn + " " + relation.tenantColumnType;
    auto it = expected_.find(key);
    if (it == expected_.end()) {
      it = expected_
               .emplace(key,
                        observeExpectedCondition(connection_, options_, inputs_,
                                                 relation.tenantColumn, relation.tenantColumnType))
               .first;
    }
    return it->second;
  }

  void checkFingerprintStable() {
    const std::string now = schemaFingerprint(connection_, fingerprintScope(spec_, inputs_.plan));
    if (now == catalog_.fingerprint) {
      return;
    }
    add(result("verify.schema-stable", "", CheckOutcome::Failed,
               "the schema changed while verify ran (fingerprint " + catalog_.fingerprint +
                   " became " + now +
                   "): the checks may describe neither state; verify again once the change "
                   "is done"));
  }

  pqxx::connection& connection_;
  const VerifyInputs& inputs_;
  const VerifyOptions& options_;
  const api::MigrationSpec& spec_;
  const std::string schema_;
  Catalog catalog_;
  bool appUsable_ = false;
  std::map<std::string, ExpectedCondition> expected_;
  VerifyReport report_;
};

}  // namespace

VerifyReport verifyMigration(pqxx::connection& connection, const VerifyInputs& inputs,
                             const VerifyOptions& options) {
  spdlog::info("verify started tables={} schema={} mode={}", inputs.plan.decisions.size(),
               inputs.spec.database.schema, inputs.strict ? "strict" : "transition");
  return Verifier(connection, inputs, options).run();
}

}  // namespace tenantshift::verify
