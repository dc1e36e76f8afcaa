#include "verify/expected_condition_unit.h"

#include "plan/planning_context.h"
#include "plan/rls_steps.h"
#include "plan/sql_identifier.h"
#include "verify/sql_support.h"
#include "verify/unit_runner.h"

namespace tenantshift::verify {

ExpectedCondition observeExpectedCondition(pqxx::connection& connection,
                                           const VerifyOptions& options,
                                           const VerifyInputs& inputs,
                                           const std::string& columnType) {
  const plan::PlanContext context{inputs.spec, inputs.before, inputs.spec.database.schema,
                                  api::sqlTypeName(inputs.spec.tenant.idType), {}, {}, {}};
  const std::string condition =
      inputs.strict ? plan::strictCondition(context) : plan::permissiveCondition(context);
  ExpectedCondition expected;
  const UnitRun run = runUnit(
      connection, options, "computing the expected policy condition", [&](pqxx::connection& c) {
        pqxx::work tx(c, "tenantshift_verify_condition");
        setLockTimeout(tx, inputs.spec.ddl.lockTimeout);
        tx.exec_params("CREATE TEMP TABLE tenantshift_verify_condition (" +
                       plan::quoteIdent(inputs.spec.tenant.column) + " " + columnType +
                       ") ON COMMIT DROP");
        tx.exec_params("CREATE POLICY tenantshift_verify ON pg_temp.tenantshift_verify_condition"
                       " USING (" +
                       condition + ")");
        expected.text = tx.exec_params1(
                              "SELECT pg_catalog.pg_get_expr(polqual, polrelid) FROM "
                              "pg_catalog.pg_policy WHERE polrelid = "
                              "'pg_temp.tenantshift_verify_condition'::regclass")[0]
                            .as<std::string>();
        tx.abort();
      });
  expected.ran = run.done;
  expected.error = run.error;
  return expected;
}

}  // namespace tenantshift::verify
