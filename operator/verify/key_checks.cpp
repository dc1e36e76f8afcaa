#include "verify/key_checks.h"

#include <algorithm>

#include "api/joined.h"
#include "plan/sql_identifier.h"
#include "verify/spec_lines.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

bool leadsWith(const IndexFacts& index, const std::string& column) {
  return !index.keyColumns.empty() && index.keyColumns.front() == column;
}

bool includes(const IndexFacts& index, const std::string& column) {
  return std::find(index.keyColumns.begin(), index.keyColumns.end(), column) !=
         index.keyColumns.end();
}

std::string columnsText(const IndexFacts& index) {
  std::vector<std::string> columns;
  for (const std::string& column : index.keyColumns) {
    columns.push_back(column.empty() ? std::string("<expression>") : column);
  }
  return "(" + joined(columns) + ")";
}

// The name a key is listed under: its constraint, else its index.
std::string keyName(const IndexFacts& index) {
  return index.constraint.empty() ? index.name : index.constraint;
}

const plan::IndexReplacement* replacementFor(const plan::Plan& plan, const RelationFacts& relation,
                                             const IndexFacts& index) {
  for (const plan::IndexReplacement& entry : plan.indexReplacements) {
    if (entry.table == relation.name &&
        (entry.index == index.name ||
         (!index.constraint.empty() && entry.index == index.constraint))) {
      return &entry;
    }
  }
  return nullptr;
}

class KeyJudge {
 public:
  KeyJudge(const api::MigrationSpec& spec, const plan::Plan& plan, bool strict,
           const RelationFacts& relation)
      : spec_(spec),
        plan_(plan),
        strict_(strict),
        relation_(relation),
        name_(relation.label(spec.database.schema)),
        column_(quoteIdent(relation.tenantColumn)),
        table_(relation.root) {}

  std::vector<CheckResult> run() {
    for (const IndexFacts& index : relation_.indexes) {
      if (index.attachedToParent) {
        continue;  // judged on the parent, whose index it is a partition of
      }
      if (index.unique && !includes(index, relation_.tenantColumn)) {
        judgeGlobalUnique(index);
      } else if (!index.valid && !index.unique) {
        out_.push_back(result("keys.leading-tenant", name_, CheckOutcome::Warning,
                              "index " + quoteIdent(index.name) +
                                  " is INVALID (a failed concurrent build), so queries do not use "
                                  "it, but writes still maintain it: DROP INDEX CONCURRENTLY " +
                                  plan::qualified(relation_.schema, index.name)));
      } else if (!leadsWith(index, relation_.tenantColumn)) {
        judgeSideChannel(index);
      } else {
        good_.push_back(quoteIdent(index.name));
      }
    }
    if (!good_.empty()) {
      out_.push_back(result("keys.leading-tenant", name_, CheckOutcome::Passed,
                            "indexes leading with " + column_ + ": " + joined(good_)));
    }
    return std::move(out_);
  }

 private:
  // The replacement the plan builds for `index`, judged while not strict: Passed when it is
  // there, valid and leads with the tenant column.
  bool judgeReplacement(const std::string& check, const IndexFacts& index,
                        const std::string& what) {
    const plan::IndexReplacement* entry = replacementFor(plan_, relation_, index);
    if (entry == nullptr || strict_) {
      return false;
    }
    const IndexFacts* replacement = relation_.findIndex(entry->replacement);
    if (replacement != nullptr && replacement->valid &&
        leadsWith(*replacement, relation_.tenantColumn)) {
      out_.push_back(result(check, name_, CheckOutcome::Passed,
                            what + " is replaced after the flag: its replacement " +
                                quoteIdent(entry->replacement) + " " + columnsText(*replacement) +
                                " is built and valid; the flag phase drops the old one"));
    } else {
      out_.push_back(
          result(check, name_, CheckOutcome::Failed,
                 what + " is to be replaced by " + quoteIdent(entry->replacement) + ", which " +
                     (replacement == nullptr ? std::string("does not exist")
                      : !replacement->valid  ? std::string("is INVALID (a failed concurrent build)")
                                             : "does not lead with " + column_) +
                     ": run the constraints phase again (tenantshift run), which drops an INVALID "
                     "leftover and builds it"));
    }
    return true;
  }

  void judgeGlobalUnique(const IndexFacts& index) {
    const std::string key = keyName(index);
    const std::string what = (index.primary ? "primary key " : "unique key ") + quoteIdent(key) +
                             " " + columnsText(index);
    const std::string inference =
        "a duplicate-key error tells one tenant that another tenant holds the same value, and "
        "EXPLAIN ANALYZE of a lookup by it counts other tenants' rows ('Rows Removed by Filter')";
    if (index.primary) {
      out_.push_back(exposureResult(
          "keys.unique", name_, CheckOutcome::Accepted,
          what + " does not include " + column_ +
              ": the existence of a primary key value in another tenant can be inferred (" +
              inference + ")",
          "by design (primary key)"));
      return;
    }
    const auto& keep = tableList(spec_, table_, &api::TableSpec::keepUnique);
    if (contains(keep, key) || contains(keep, index.name)) {
      out_.push_back(exposureResult("keys.unique", name_, CheckOutcome::Accepted,
                                    what + " is kept global: " + inference,
                                    tableFieldPath(spec_, table_, "keepUnique")));
      return;
    }
    if (judgeReplacement("keys.unique", index, what)) {
      return;
    }
    std::string detail = what + " does not include " + column_ +
                         ", so two tenants cannot hold the same value and " + inference + ": ";
    const plan::IndexReplacement* entry = replacementFor(plan_, relation_, index);
    if (entry != nullptr && strict_) {
      detail += "the flag phase should have replaced it with " + quoteIdent(entry->replacement) +
                " (run the flag phase: tenantshift run); ";
    } else if (index.keyColumns.end() !=
               std::find(index.keyColumns.begin(), index.keyColumns.end(), std::string())) {
      detail += "it has expression columns, which the planner does not rewrite: rebuild it with " +
                column_ + " first (CREATE UNIQUE INDEX CONCURRENTLY), or ";
    } else {
      detail += "rewrite it to lead with " + column_ + " (spec.rewriteUniques, " +
                std::string(spec_.rewriteUniques ? "then run the constraints phase"
                                                 : "which is false in this spec") +
                "), or ";
    }
    detail += "to keep it global, " + tableFieldLine(spec_, table_, "keepUnique", key);
    out_.push_back(exposureResult("keys.unique", name_, CheckOutcome::Failed, detail));
  }

  void judgeSideChannel(const IndexFacts& index) {
    const std::string what = "index " + quoteIdent(index.name) + " " + columnsText(index);
    const std::string channel =
        " does not lead with " + column_ +
        ": EXPLAIN ANALYZE of a query the planner runs through it, as the app role, counts the "
        "rows of other tenants that the policies removed ('Rows Removed by Filter'), which "
        "tells a tenant how many rows other tenants have";
    if (index.primary) {
      out_.push_back(exposureResult("keys.leading-tenant", name_, CheckOutcome::Accepted,
                                    "primary key " + what + channel, "by design (primary key)"));
      return;
    }
    const auto& keep = tableList(spec_, table_, &api::TableSpec::keepIndexes);
    if (contains(keep, index.name)) {
      out_.push_back(exposureResult("keys.leading-tenant", name_, CheckOutcome::Accepted,
                                    what + channel, tableFieldPath(spec_, table_, "keepIndexes")));
      return;
    }
    if (judgeReplacement("keys.leading-tenant", index, what)) {
      return;
    }
    const plan::IndexReplacement* entry = replacementFor(plan_, relation_, index);
    out_.push_back(exposureResult(
        "keys.leading-tenant", name_, CheckOutcome::Failed,
        what + channel + ": " +
            (entry != nullptr && strict_
                 ? "the flag phase should have replaced it with " + quoteIdent(entry->replacement) +
                       " (run the flag phase: tenantshift run); "
                 : "rebuild it to lead with " + column_ +
                       " (spec.rewriteIndexes, then run the constraints phase), or ") +
            "to keep it, " + tableFieldLine(spec_, table_, "keepIndexes", index.name)));
  }

  const api::MigrationSpec& spec_;
  const plan::Plan& plan_;
  const bool strict_;
  const RelationFacts& relation_;
  const std::string name_;
  const std::string column_;
  const std::string table_;
  std::vector<CheckResult> out_;
  std::vector<std::string> good_;
};

}  // namespace

std::vector<CheckResult> checkKeys(const api::MigrationSpec& spec, const plan::Plan& plan,
                                   bool strict, const RelationFacts& relation) {
  if (!relation.exists || !relation.hasTenantColumn ||
      relation.kind == RelationKind::TenantsTable) {
    return {};
  }
  return KeyJudge(spec, plan, strict, relation).run();
}

CheckResult checkTenantFilter(const RelationFacts& table,
                              const std::vector<RelationFacts>& relations,
                              const std::string& specSchema, const IndexUsage& usage) {
  const std::string name = table.label(specSchema);
  const std::string column = quoteIdent(table.tenantColumn);
  if (!usage.ran) {
    return result("keys.tenant-filter", name, CheckOutcome::Failed,
                  "EXPLAIN of a query filtered on " + column + " could not run: " + usage.error);
  }
  std::vector<std::string> used;
  std::vector<std::string> problems;
  for (const ScanNode& scan : usage.scans) {
    auto facts = std::find_if(relations.begin(), relations.end(), [&](const RelationFacts& r) {
      return r.name == scan.relation && (scan.schema.empty() || r.schema == scan.schema);
    });
    const std::string where = scan.relation == table.name ? "" : " on " + scan.relation;
    if (scan.index.empty()) {
      problems.push_back(scan.nodeType + where);
      continue;
    }
    const IndexFacts* index = facts == relations.end() ? nullptr : facts->findIndex(scan.index);
    if (index != nullptr && leadsWith(*index, table.tenantColumn)) {
      used.push_back(quoteIdent(scan.index) + where);
    } else {
      problems.push_back(scan.nodeType + " using " + quoteIdent(scan.index) +
                         ", which does not lead with " + column + where);
    }
  }
  if (problems.empty()) {
    return result("keys.tenant-filter", name, CheckOutcome::Passed,
                  used.empty() ? "a query filtered on " + column + " reads no relation"
                               : "a query filtered on " + column + " uses " + joined(used));
  }
  return result("keys.tenant-filter", name, CheckOutcome::Failed,
                "a query filtered on " + column + " reads " + joined(problems) +
                    ": every tenant's queries would scan other tenants' rows; CREATE INDEX "
                    "CONCURRENTLY ON " +
                    table.qualified() + " (" + column + ") (run the constraints phase)");
}

}  // namespace tenantshift::verify
