#include "verify/view_checks.h"

#include <algorithm>
#include <map>
#include <set>

#include "api/joined.h"
#include "plan/sql_identifier.h"
#include "verify/spec_lines.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;

namespace {

// A way around the policies found under a view: a definer view whose owner bypasses row-level
// security on a relation it reads, or a materialized view.
struct Culprit {
  const ViewFacts* view = nullptr;  // the definer view, or the materialized view
  std::string relation;             // what it reads unfiltered (definer views)
  std::string reason;               // why its owner bypasses (definer views)
};

class ViewJudge {
 public:
  ViewJudge(const api::MigrationSpec& spec, const std::vector<ViewFacts>& views,
            const RoleMap& roles, const std::vector<RelationFacts>& relations)
      : spec_(spec), roles_(roles), relations_(relations), schema_(spec.database.schema) {
    for (const ViewFacts& view : views) {
      byKey_[view.key()] = &view;
    }
  }

  std::vector<CheckResult> judge(const ViewFacts& view) {
    const std::string check = view.materialized ? "exposure.matview" : "exposure.view";
    const std::string name = view.label(schema_);
    if (!view.appCanSelect) {
      return {result(check, name, CheckOutcome::Passed,
                     "reads tenant data, but the app role cannot read it")};
    }
    std::vector<Culprit> culprits;
    std::set<std::string> seen;
    walk(view, "", nullptr, culprits, seen);
    if (culprits.empty()) {
      return {result(check, name, CheckOutcome::Passed, whyFiltered(view))};
    }
    std::vector<std::string> problems;
    std::vector<std::string> fields;
    std::vector<std::string> fixes;
    bool allAccepted = true;
    for (const Culprit& culprit : culprits) {
      const std::string culpritName = culprit.view->label(schema_);
      const bool self = culprit.view == &view;
      if (culprit.view->materialized) {
        problems.push_back((self ? std::string("it") : "materialized view " + culpritName) +
                           " stores the rows of every tenant (row-level security does not apply "
                           "to a materialized view)");
        fixes.push_back("REVOKE SELECT ON " + qualifiedView(*culprit.view) + " FROM " +
                        quoteIdent(spec_.database.appRole) +
                        " (and from PUBLIC), or replace it with a security_invoker view, or " +
                        acceptLine("materializedViews", acceptName(*culprit.view)));
        if (accepted(spec_.accept.materializedViews, *culprit.view)) {
          fields.emplace_back("spec.accept.materializedViews");
        } else {
          allAccepted = false;
        }
      } else {
        problems.push_back((self ? std::string("it") : "view " + culpritName) + " reads " +
                           culprit.relation + " as its owner " + quoteIdent(culprit.view->owner) +
                           ", " + culprit.reason +
                           ", so the app role sees every tenant's rows through it");
        fixes.push_back("ALTER VIEW " + qualifiedView(*culprit.view) +
                        " SET (security_invoker = true) (the app role then needs SELECT on what "
                        "it reads), or " +
                        acceptLine("views", acceptName(*culprit.view)));
        if (accepted(spec_.accept.views, *culprit.view)) {
          fields.emplace_back("spec.accept.views");
        } else {
          allAccepted = false;
        }
      }
    }
    std::sort(fields.begin(), fields.end());
    fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
    if (allAccepted) {
      return {exposureResult(check, name, CheckOutcome::Accepted, joined(problems, "; "),
                             joined(fields))};
    }
    return {exposureResult(check, name, CheckOutcome::Failed,
                           joined(problems, "; ") + ": " + joined(fixes, "; "))};
  }

 private:
  // Walks the views below `view`; `reader` is the role the relations are read as ("" for the
  // app role), `definer` the view that made it so.
  void walk(const ViewFacts& view, const std::string& reader, const ViewFacts* definer,
            std::vector<Culprit>& culprits, std::set<std::string>& seen) {
    if (!seen.insert(view.key() + "|" + reader).second) {
      return;
    }
    if (view.materialized) {
      culprits.push_back({&view, "", ""});
      return;  // its rows are stored: what it reads does not matter any more
    }
    const std::string role = view.securityInvoker ? reader : view.owner;
    const ViewFacts* by = view.securityInvoker ? definer : &view;
    if (!role.empty()) {
      for (const std::string& label : view.readsRelations) {
        const RelationFacts* relation = findRelation(label);
        if (relation == nullptr) {
          continue;
        }
        std::string reason = bypassReason(roles_, role, *relation, schema_);
        if (!reason.empty() && by != nullptr) {
          culprits.push_back({by, label, reason});
        }
      }
    }
    for (const std::string& below : view.readsViews) {
      auto it = byKey_.find(below);
      if (it != byKey_.end()) {
        walk(*it->second, role, by, culprits, seen);
      }
    }
  }

  std::string whyFiltered(const ViewFacts& view) const {
    if (view.securityInvoker) {
      return "security_invoker = true: it reads " + readsText(view) +
             " as the querying role, filtered by the policies";
    }
    return "runs as its owner " + quoteIdent(view.owner) +
           ", which does not bypass row-level security, so the policies filter what it reads (" +
           readsText(view) + ") by the same session setting";
  }

  static std::string readsText(const ViewFacts& view) {
    std::vector<std::string> items = view.readsRelations;
    for (const std::string& below : view.readsViews) {
      items.push_back("view " + below);
    }
    return items.empty() ? std::string("tenant data") : joined(items);
  }

  const RelationFacts* findRelation(const std::string& label) const {
    for (const RelationFacts& relation : relations_) {
      if (relation.label(schema_) == label) {
        return &relation;
      }
    }
    return nullptr;
  }

  std::string acceptName(const ViewFacts& view) const { return view.label(schema_); }

  static std::string qualifiedView(const ViewFacts& view) {
    return plan::qualified(view.schema, view.name);
  }

  bool accepted(const std::vector<std::string>& list, const ViewFacts& view) const {
    return contains(list, view.key()) || (view.schema == schema_ && contains(list, view.name));
  }

  const api::MigrationSpec& spec_;
  const RoleMap& roles_;
  const std::vector<RelationFacts>& relations_;
  const std::string schema_;
  std::map<std::string, const ViewFacts*> byKey_;
};

}  // namespace

std::string ViewFacts::label(const std::string& specSchema) const {
  return schema == specSchema ? name : schema + "." + name;
}

std::vector<CheckResult> checkViews(const api::MigrationSpec& spec,
                                    const std::vector<ViewFacts>& views, const RoleMap& roles,
                                    const std::vector<RelationFacts>& relations) {
  ViewJudge judge(spec, views, roles, relations);
  std::vector<CheckResult> out;
  for (const ViewFacts& view : views) {
    for (CheckResult& item : judge.judge(view)) {
      out.push_back(std::move(item));
    }
  }
  if (views.empty()) {
    out.push_back(result("exposure.view", "", CheckOutcome::Passed,
                         "no view or materialized view reads a tenant table"));
  }
  return out;
}

}  // namespace tenantshift::verify
