#include "plan/feature_flag_steps.h"

#include "api/duration.h"
#include "plan/catalog_checks.h"
#include "plan/flag_switch.h"
#include "plan/sql_identifier.h"

namespace tenantshift::plan {

namespace {

constexpr const char* kStepId = "flag/on";

Step sqlFlagStep(const PlanContext& ctx, const api::SqlFeatureFlag& flag) {
  Step step = newStep(Phase::Flag, kStepId, "",
                      "turn the application's feature flag on (spec.featureFlag.sql.on)");
  // The spec's SQL names the application's tables as the application does: it runs with
  // the schema on the search_path, after pg_catalog (tenantshift's own SQL has only
  // pg_catalog: db::connect).
  const Statement schemaOnPath = statement("SELECT pg_catalog.set_config('search_path', $1, true)",
                                           {"pg_catalog, " + quoteIdent(ctx.spec.database.schema)});
  step.up = {schemaOnPath, statement(flag.on)};
  step.down = {schemaOnPath, statement(flag.off)};
  step.lock = LockLevel::RowExclusive;
  return step;
}

Step switchStep(const FlagSwitch& flag) {
  std::string summary =
      "turn the application's feature flag on (" + flagSwitchSpecField(flag) +
      "): " + describeFlagSetting(flag, std::visit([](const auto& f) { return f.on; }, flag));
  if (const auto* d = std::get_if<api::DeploymentFeatureFlag>(&flag)) {
    summary += ", then wait (at most " + api::formatDuration(d->rolloutTimeout) +
               ") until the rollout it starts is complete: the Deployment replaces its pods";
  }
  Step step = newStep(Phase::Flag, kStepId, "", std::move(summary));
  step.execution = Execution::FlagSwitch;
  step.downExecution = Execution::FlagSwitch;
  step.flagSwitch = flag;
  // No table lock and no data: the application's behaviour changes, which verify proved safe.
  step.lock = LockLevel::None;
  step.risk = DataLossRisk::None;
  step.downRisk = DataLossRisk::None;
  return step;
}

}  // namespace

std::optional<Step> featureFlagStep(const PlanContext& ctx) {
  const api::FeatureFlagSpec& flag = ctx.spec.featureFlag;
  if (flag.sql) {
    return sqlFlagStep(ctx, *flag.sql);
  }
  if (flag.configMap) {
    return switchStep(*flag.configMap);
  }
  if (flag.deployment) {
    return switchStep(*flag.deployment);
  }
  return std::nullopt;
}

}  // namespace tenantshift::plan
