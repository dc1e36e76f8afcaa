#include "api/spec_json.h"

#include "api/duration.h"

namespace tenantshift::api {

namespace {

nlohmann::json sourceJson(const TenantSource& source) {
  switch (source.kind) {
    case TenantSource::Kind::Parent:
      return {{"parent", source.parent}, {"via", source.via}};
    case TenantSource::Kind::Column:
      return {{"column", source.column}};
    case TenantSource::Kind::Default:
      break;
  }
  return {{"default", true}};
}

// The flag's kind with its fields (an empty object when there is none); the namespace only when
// given.
nlohmann::json featureFlagJson(const FeatureFlagSpec& flag) {
  nlohmann::json j = nlohmann::json::object();
  if (flag.sql) {
    j["sql"] = {{"on", flag.sql->on}, {"off", flag.sql->off}};
  }
  if (const auto& c = flag.configMap) {
    j["configMap"] = {{"name", c->name}, {"key", c->key}, {"on", c->on}, {"off", c->off}};
    if (!c->ns.empty()) {
      j["configMap"]["namespace"] = c->ns;
    }
  }
  if (const auto& d = flag.deployment) {
    j["deployment"] = {{"name", d->name}, {"container", d->container},
                       {"env", d->env},   {"on", d->on},
                       {"off", d->off},   {"rolloutTimeout", formatDuration(d->rolloutTimeout)}};
    if (!d->ns.empty()) {
      j["deployment"]["namespace"] = d->ns;
    }
  }
  return j;
}

}  // namespace

nlohmann::json toJson(const MigrationSpec& spec) {
  nlohmann::json j;
  j["database"] = {{"schema", spec.database.schema}, {"appRole", spec.database.appRole}};
  j["tenant"] = {{"table", spec.tenant.table},
                 {"column", spec.tenant.column},
                 {"idType", sqlTypeName(spec.tenant.idType)},
                 {"setting", spec.tenant.setting},
                 {"bypassRole", spec.tenant.bypassRole},
                 {"default",
                  {{"id", spec.tenant.defaultTenant.id},
                   {"slug", spec.tenant.defaultTenant.slug},
                   {"name", spec.tenant.defaultTenant.name}}}};
  if (!spec.tenant.lookupFunction.empty()) {
    j["tenant"]["lookupFunction"] = spec.tenant.lookupFunction;
  }
  if (!spec.tenant.newTenantRow.empty()) {
    nlohmann::json row = nlohmann::json::object();
    for (const auto& [column, value] : spec.tenant.newTenantRow) {
      row[column] = value;
    }
    j["tenant"]["newTenantRow"] = std::move(row);
  }
  if (spec.tables) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& table : *spec.tables) {
      nlohmann::json t = {{"name", table.name}};
      if (table.from) {
        t["from"] = sourceJson(*table.from);
      }
      if (!table.keepUnique.empty()) {
        t["keepUnique"] = table.keepUnique;
      }
      if (!table.crossTenantRefs.empty()) {
        t["crossTenantRefs"] = table.crossTenantRefs;
      }
      if (!table.keepIndexes.empty()) {
        t["keepIndexes"] = table.keepIndexes;
      }
      tables.push_back(std::move(t));
    }
    j["tables"] = std::move(tables);
  }
  j["exclude"] = spec.exclude;
  j["rewriteUniques"] = spec.rewriteUniques;
  j["rewriteIndexes"] = spec.rewriteIndexes;
  j["tenantForeignKeys"] = spec.tenantForeignKeys;
  j["accept"] = {{"views", spec.accept.views},
                 {"materializedViews", spec.accept.materializedViews},
                 {"functions", spec.accept.functions},
                 {"writableGlobalTables", spec.accept.writableGlobalTables}};
  const BackfillSpec& backfill = spec.backfill;
  const ThrottleSpec& throttle = backfill.throttle;
  j["backfill"] = {{"minBatchSize", backfill.minBatchSize},
                   {"maxBatchSize", backfill.maxBatchSize},
                   {"pause", formatDuration(backfill.pause)},
                   {"throttle",
                    {{"enabled", throttle.enabled},
                     {"probe",
                      {{"sql", throttle.probe.sql},
                       {"interval", formatDuration(throttle.probe.interval)},
                       {"timeout", formatDuration(throttle.probe.timeout)},
                       {"commit", throttle.probe.commit}}},
                     {"baselineSamples", throttle.baselineSamples},
                     {"windowSamples", throttle.windowSamples},
                     {"maxLatencyIncreasePercent", throttle.maxLatencyIncreasePercent},
                     {"minLatencyIncrease", formatDuration(throttle.minLatencyIncrease)},
                     {"maxReplicationLag", formatDuration(throttle.maxReplicationLag)},
                     {"maxLockWait", formatDuration(throttle.maxLockWait)},
                     {"maxPause", formatDuration(throttle.maxPause)}}}};
  if (backfill.batchSize) {
    j["backfill"]["batchSize"] = *backfill.batchSize;
  } else {
    j["backfill"]["targetBatchDuration"] = formatDuration(backfill.targetBatchDuration);
  }
  j["ddl"] = {{"lockTimeout", formatDuration(spec.ddl.lockTimeout)},
              {"retries", spec.ddl.retries},
              {"indexBuildTimeout", formatDuration(spec.ddl.indexBuildTimeout)}};
  // Only when there is one: the parser reads an empty featureFlag as a mistake.
  if (nlohmann::json flag = featureFlagJson(spec.featureFlag); !flag.empty()) {
    j["featureFlag"] = std::move(flag);
  }
  return j;
}

}  // namespace tenantshift::api
