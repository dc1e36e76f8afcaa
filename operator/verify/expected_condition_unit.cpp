#include "verify/expected_condition_unit.h"

#include "plan/planning_context.h"
#include "plan/rls_steps.h"
#include "plan/sql_identifier.h"
#include "verify/sql_support.h"
#include "verify/unit_runner.h"

namespace tenantshift::verify {

ExpectedCondition observeExpectedCondition(pqxx::connection& connection,
                                           const VerifyOptions& options, const VerifyInputs& inputs,
                                           const std::string& column,
                                           const std::string& columnType) {
  // The plan's conditions name spec.tenant.column; the tenants table's name its id column.
  api::MigrationSpec spec = inputs.spec;
  spec.tenant.column = column;
  const plan::PlanContext context{
      spec, inputs.before, spec.database.schema, api::sqlTypeName(spec.tenant.idType), {}, {}, {}};
  ExpectedCondition expected;
  const UnitRun run = runUnit(
      connection, options, "computing the expected policy conditions", [&](pqxx::connection& c) {
        pqxx::work tx(c, "tenantshift_verify_condition");
        setLockTimeout(tx, spec.ddl.lockTimeout);
        tx.exec_params("CREATE TEMP TABLE tenantshift_verify_condition (" +
                       plan::quoteIdent(column) + " " + columnType + ") ON COMMIT DROP");
        tx.exec_params("CREATE POLICY strict ON pg_temp.tenantshift_verify_condition USING (" +
                       plan::strictCondition(context) + ")");
        tx.exec_params("CREATE POLICY permissive ON pg_temp.tenantshift_verify_condition USING (" +
                       plan::permissiveCondition(context) + ")");
        for (const auto& row :
             tx.exec_params("SELECT polname, pg_catalog.pg_get_expr(polqual, polrelid) FROM "
                            "pg_catalog.pg_policy WHERE polrelid = "
                            "'pg_temp.tenantshift_verify_condition'::regclass")) {
          (row[0].as<std::string>() == "strict" ? expected.strict : expected.permissive) =
              row[1].as<std::string>();
        }
        tx.abort();
      });
  expected.ran = run.done;
  expected.error = run.error;
  return expected;
}

}  // namespace tenantshift::verify
