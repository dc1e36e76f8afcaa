#include "verify/index_usage_unit.h"

#include "plan/sql_identifier.h"
#include "verify/sql_support.h"
#include "verify/unit_runner.h"

namespace tenantshift::verify {

namespace {

std::string firstIndexBelow(const nlohmann::json& node) {
  if (!node.is_object()) {
    return "";
  }
  if (node.contains("Index Name")) {
    return node["Index Name"].get<std::string>();
  }
  if (node.contains("Plans")) {
    for (const auto& child : node["Plans"]) {
      std::string index = firstIndexBelow(child);
      if (!index.empty()) {
        return index;
      }
    }
  }
  return "";
}

void collect(const nlohmann::json& node, std::vector<ScanNode>& out) {
  if (!node.is_object()) {
    return;
  }
  if (node.contains("Relation Name")) {
    ScanNode scan;
    scan.relation = node["Relation Name"].get<std::string>();
    scan.schema = node.value("Schema", std::string());
    scan.nodeType = node.value("Node Type", std::string());
    scan.index = node.contains("Index Name")           ? node["Index Name"].get<std::string>()
                 : scan.nodeType == "Bitmap Heap Scan" ? firstIndexBelow(node)
                                                       : std::string();
    out.push_back(std::move(scan));
  }
  if (node.contains("Plans")) {
    for (const auto& child : node["Plans"]) {
      collect(child, out);
    }
  }
}

}  // namespace

std::vector<ScanNode> scansOf(const nlohmann::json& explain) {
  std::vector<ScanNode> out;
  if (explain.is_array()) {
    for (const auto& entry : explain) {
      collect(entry.value("Plan", nlohmann::json::object()), out);
    }
  }
  return out;
}

IndexUsage observeIndexUsage(pqxx::connection& connection, const VerifyOptions& options,
                             const api::MigrationSpec& spec, const RelationFacts& table,
                             const std::string& tenant) {
  IndexUsage usage;
  const UnitRun run =
      runUnit(connection, options,
              "planning a tenant-filtered query on " + table.label(spec.database.schema),
              [&](pqxx::connection& c) {
                pqxx::work tx(c, "tenantshift_verify_explain");
                setLockTimeout(tx, spec.ddl.lockTimeout);
                tx.exec_params("SET LOCAL enable_seqscan = off");
                auto explained = tx.exec_params1(
                    "EXPLAIN (FORMAT JSON) SELECT * FROM " + table.qualified() + " WHERE " +
                        plan::quoteIdent(table.tenantColumn) + " = $1::" + table.tenantColumnType,
                    tenant);
                usage.scans = scansOf(nlohmann::json::parse(explained[0].c_str()));
                tx.abort();
              });
  usage.ran = run.done;
  usage.error = run.error;
  return usage;
}

}  // namespace tenantshift::verify
