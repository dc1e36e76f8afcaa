#include "plan/tenant_source_resolver.h"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "api/joined.h"
#include "api/spec_error.h"
#include "plan/tenant_type.h"

namespace tenantshift::plan {

using api::joined;

namespace {

using Kind = api::TenantSource::Kind;

std::string fromField(const PlannedTable& pt) {
  return "spec.tables[" + std::to_string(pt.specIndex) + "].from";
}

PlannedTable& findPlanned(PlanContext& ctx, const std::string& name) {
  for (auto& pt : ctx.tables) {
    if (pt.name() == name) {
      return pt;
    }
  }
  throw std::logic_error("planned table not found: " + name);
}

void resolveExplicitColumn(const PlanContext& ctx, PlannedTable& pt, const std::string& field) {
  const auto& from = *pt.tableSpec->from;
  if (from.column.empty()) {
    throw api::SpecError(field + ".column", "is required: the column holding the tenant id");
  }
  const Column* column = pt.table->findColumn(from.column);
  if (column == nullptr) {
    throw api::SpecError(field + ".column",
                         "table '" + pt.name() + "' has no column '" + from.column + "'");
  }
  if (from.column == ctx.spec.tenant.column) {
    throw api::SpecError(field + ".column", "'" + from.column +
                                                "' is the tenant column itself; its existing "
                                                "values are kept anyway: remove `from`");
  }
  if (!compatibleWithIdType(column->type, ctx.spec.tenant.idType)) {
    throw api::SpecError(field + ".column", "column '" + from.column + "' of '" + pt.name() +
                                                "' is of type " + column->type +
                                                ", which cannot hold tenant ids of idType " +
                                                ctx.idType);
  }
  pt.kind = Kind::Column;
  pt.column = from.column;
}

void resolveExplicitParent(const PlanContext& ctx, PlannedTable& pt, const std::string& field) {
  const auto& from = *pt.tableSpec->from;
  if (from.parent.empty()) {
    throw api::SpecError(field + ".parent", "is required: the table this table's rows belong to");
  }
  if (from.parent == pt.name()) {
    throw api::SpecError(field + ".parent", "derivation cycle: " + pt.name() + " -> " + pt.name() +
                                                " (a table cannot take its tenant from itself)");
  }
  const PlannedTable* parent = ctx.find(from.parent);
  if (parent == nullptr) {
    if (ctx.catalog.findTable(from.parent) == nullptr) {
      throw api::SpecError(field + ".parent",
                           "unknown table '" + from.parent + "' in schema '" + ctx.schema + "'");
    }
    throw api::SpecError(field + ".parent",
                         "table '" + from.parent +
                             "' is not converted (excluded, not in spec.tables, a partition or "
                             "the tenants table), so its rows have no tenant to copy");
  }
  std::vector<std::string> via = from.via;
  if (via.empty()) {
    std::vector<const ForeignKey*> fks;
    for (const auto& fk : pt.table->foreignKeys) {
      if (fk.referencedTable == from.parent) {
        fks.push_back(&fk);
      }
    }
    if (fks.size() != 1) {
      throw api::SpecError(field + ".via", "is required: '" + pt.name() + "' has " +
                                               std::to_string(fks.size()) + " foreign keys to '" +
                                               from.parent + "'; name the columns to follow");
    }
    via = fks.front()->columns;
  }
  for (std::size_t j = 0; j < via.size(); ++j) {
    if (pt.table->findColumn(via[j]) == nullptr) {
      throw api::SpecError(field + ".via[" + std::to_string(j) + "]",
                           "table '" + pt.name() + "' has no column '" + via[j] + "'");
    }
  }
  pt.kind = Kind::Parent;
  pt.parent = from.parent;
  pt.via = via;
  for (const auto& column : via) {
    pt.nullableSource = pt.nullableSource || !pt.table->findColumn(column)->notNull;
  }
  for (const auto& fk : pt.table->foreignKeys) {
    if (fk.referencedTable == from.parent && fk.columns == via) {
      pt.referencedColumns = fk.referencedColumns;
      pt.sourceForeignKey = fk.name;
      return;
    }
  }
  // No foreign key: accept columns whose types equal the parent's primary key's, pairwise.
  const Table& parentTable = *parent->table;
  bool matches = parentTable.primaryKey.size() == via.size();
  for (std::size_t j = 0; matches && j < via.size(); ++j) {
    const Column* mine = pt.table->findColumn(via[j]);
    const Column* theirs = parentTable.findColumn(parentTable.primaryKey[j]);
    matches = theirs != nullptr && baseTypeName(mine->type) == baseTypeName(theirs->type);
  }
  if (!matches) {
    throw api::SpecError(field + ".via", "columns (" + joined(via) + ") of '" + pt.name() +
                                             "' are not a foreign key to '" + from.parent +
                                             "' and do not match its primary key (" +
                                             joined(parentTable.primaryKey) +
                                             ") in number and "
                                             "type");
  }
  pt.referencedColumns = parentTable.primaryKey;
}

void rejectExplicitCycles(const PlanContext& ctx) {
  for (const auto& start : ctx.tables) {
    if (!start.explicitSource || start.kind != Kind::Parent) {
      continue;
    }
    std::vector<std::string> path{start.name()};
    const PlannedTable* current = &start;
    while (current != nullptr && current->explicitSource && current->kind == Kind::Parent) {
      const std::string& next = current->parent;
      path.push_back(next);
      if (next == start.name()) {
        std::string chain;
        for (const auto& name : path) {
          chain += (chain.empty() ? "" : " -> ") + name;
        }
        throw api::SpecError(fromField(start) + ".parent", "derivation cycle: " + chain);
      }
      if (std::find(path.begin(), path.end() - 1, next) != path.end() - 1) {
        break;  // a cycle that does not include `start`: reported when it is the start
      }
      current = ctx.find(next);
    }
  }
}

// A foreign key to another converted table that could give a table its tenant.
struct Candidate {
  const ForeignKey* fk;
  const PlannedTable* parent;
  bool nullable;  // some column is nullable: rows without a parent get the default tenant
};

// The stated rule, in order: (1) a NOT NULL foreign key before a nullable one (a nullable one
// leaves rows without a parent to the default tenant); (2) a parent whose source spec.tables
// states before a derived one; (3) fewer hops to a table whose tenant is known; (4) the foreign
// key's name.
constexpr const char* kRule =
    "NOT NULL before nullable, then a parent listed with `from`, then fewer hops, then the "
    "foreign key's name";

auto rankOf(const Candidate& c) {
  return std::make_tuple(c.nullable ? 1 : 0, c.parent->explicitSource ? 0 : 1, c.parent->depth,
                         c.fk->name);
}

// The first rule that puts `chosen` before `other`, for people.
std::string whyBefore(const Candidate& chosen, const Candidate& other) {
  if (chosen.nullable != other.nullable) {
    return "it is nullable and " + chosen.fk->name + " is NOT NULL";
  }
  if (chosen.parent->explicitSource != other.parent->explicitSource) {
    return "the source of " + chosen.parent->name() + " is listed in spec.tables and that of " +
           other.parent->name() + " is derived";
  }
  if (chosen.parent->depth != other.parent->depth) {
    return "its path has " + std::to_string(other.parent->depth + 1) + " hops and that of " +
           chosen.fk->name + " " + std::to_string(chosen.parent->depth + 1);
  }
  return "by name, " + chosen.fk->name + " comes first";
}

bool listedIn(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<std::string>& crossTenantRefsOf(const PlannedTable& pt) {
  static const std::vector<std::string> none;
  return pt.tableSpec ? pt.tableSpec->crossTenantRefs : none;
}

// Every foreign key of `pt` to another converted table, except those accepted as cross-tenant
// references (a row may then belong to another tenant than its parent), sorted by name.
std::vector<Candidate> candidatesOf(const PlanContext& ctx, const PlannedTable& pt) {
  std::vector<const ForeignKey*> fks;
  for (const auto& fk : pt.table->foreignKeys) {
    fks.push_back(&fk);
  }
  std::sort(fks.begin(), fks.end(),
            [](const ForeignKey* a, const ForeignKey* b) { return a->name < b->name; });
  std::vector<Candidate> out;
  for (const ForeignKey* fk : fks) {
    const PlannedTable* parent = ctx.find(fk->referencedTable);
    if (parent == nullptr || fk->referencedTable == pt.name() || fk->columns.empty() ||
        listedIn(crossTenantRefsOf(pt), fk->name)) {
      continue;
    }
    bool nullable = false;
    for (const auto& column : fk->columns) {
      const Column* c = pt.table->findColumn(column);
      nullable = nullable || c == nullptr || !c->notNull;
    }
    out.push_back({fk, parent, nullable});
  }
  return out;
}

// The alternatives a table's chosen source was preferred to, each with why, for the plan.
void describeAlternatives(const PlanContext& ctx, PlannedTable& pt) {
  pt.alternatives.clear();
  for (const auto& fk : pt.table->foreignKeys) {
    const PlannedTable* parent = ctx.find(fk.referencedTable);
    if (parent == nullptr || fk.referencedTable == pt.name() || fk.name == pt.sourceForeignKey) {
      continue;
    }
    const std::string label = fk.name + " to " + fk.referencedTable;
    if (listedIn(crossTenantRefsOf(pt), fk.name)) {
      pt.alternatives.push_back(label + ": accepted as a cross-tenant reference (spec.tables[" +
                                std::to_string(pt.specIndex) + "].crossTenantRefs)");
      continue;
    }
    if (pt.explicitSource) {
      pt.alternatives.push_back(label + ": not used, spec.tables[" + std::to_string(pt.specIndex) +
                                "].from names the source");
      continue;
    }
    if (pt.kind != Kind::Parent) {
      pt.alternatives.push_back(label + ": not used (" + pt.reason + ")");
      continue;
    }
    bool nullable = false;
    for (const auto& column : fk.columns) {
      const Column* c = pt.table->findColumn(column);
      nullable = nullable || c == nullptr || !c->notNull;
    }
    const ForeignKey* chosenFk = pt.table->findForeignKey(pt.sourceForeignKey);
    const PlannedTable* chosenParent = ctx.find(pt.parent);
    if (chosenFk == nullptr || chosenParent == nullptr) {
      continue;
    }
    const Candidate chosen{chosenFk, chosenParent, pt.nullableSource};
    const Candidate other{&fk, parent, nullable};
    pt.alternatives.push_back(label + ": ranks after " + pt.sourceForeignKey + " (" +
                              whyBefore(chosen, other) + "; rule: " + kRule + ")");
  }
}

// spec.tables[].crossTenantRefs names foreign keys of the table to converted tables, and never
// the one its tenant comes from.
void checkCrossTenantRefs(const PlanContext& ctx, const PlannedTable& pt) {
  const auto& refs = crossTenantRefsOf(pt);
  for (std::size_t j = 0; j < refs.size(); ++j) {
    const std::string field = "spec.tables[" + std::to_string(pt.specIndex) + "].crossTenantRefs[" +
                              std::to_string(j) + "]";
    const ForeignKey* fk = pt.table->findForeignKey(refs[j]);
    if (fk == nullptr) {
      std::vector<std::string> names;
      for (const auto& candidate : pt.table->foreignKeys) {
        names.push_back(candidate.name);
      }
      throw api::SpecError(field, "table '" + pt.name() + "' has no foreign key '" + refs[j] +
                                      "' (its foreign keys: " +
                                      (names.empty() ? std::string("none") : joined(names)) + ")");
    }
    if (ctx.find(fk->referencedTable) == nullptr) {
      throw api::SpecError(field, "foreign key '" + refs[j] + "' references '" +
                                      fk->referencedTable +
                                      "', which is not a tenant table: its rows belong to no "
                                      "tenant, so there is no cross-tenant reference to accept");
    }
    // A table that already had the tenant column keeps its values, which may differ from the
    // parent's (only its NULLs are derived): there the derivation's key may be cross-tenant.
    if (pt.kind == Kind::Parent && fk->name == pt.sourceForeignKey && !pt.existingColumn) {
      throw api::SpecError(field, "foreign key '" + refs[j] + "' is where the rows of '" +
                                      pt.name() +
                                      "' get their tenant (spec.tables[].from), so a row always "
                                      "has its parent's tenant: choose another source or remove it "
                                      "from crossTenantRefs");
    }
  }
}

void setDefault(PlannedTable& pt, std::string reason) {
  pt.kind = Kind::Default;
  pt.depth = 0;
  pt.reason = std::move(reason);
}

}  // namespace

std::string describeSource(const PlannedTable& table) {
  switch (table.kind) {
    case Kind::Default:
      return "default tenant";
    case Kind::Parent:
      return "parent " + table.parent + " via (" + joined(table.via) + ")";
    case Kind::Column:
      return "column " + table.column;
  }
  return "default tenant";
}

void resolveTenantSources(PlanContext& ctx) {
  // Explicit sources first.
  for (auto& pt : ctx.tables) {
    if (pt.tableSpec == nullptr || !pt.tableSpec->from) {
      continue;
    }
    const std::string field = fromField(pt);
    pt.explicitSource = true;
    pt.reason = "listed in spec.tables with `from`";
    switch (pt.tableSpec->from->kind) {
      case Kind::Default:
        pt.kind = Kind::Default;
        break;
      case Kind::Column:
        resolveExplicitColumn(ctx, pt, field);
        break;
      case Kind::Parent:
        resolveExplicitParent(ctx, pt, field);
        break;
    }
  }
  rejectExplicitCycles(ctx);

  // Breadth first from the tables whose tenant is known without a parent.
  std::map<std::string, bool> resolved;  // name -> resolved
  std::map<std::string, std::vector<Candidate>> candidates;
  for (auto& pt : ctx.tables) {
    if (pt.explicitSource) {
      resolved[pt.name()] = pt.kind != Kind::Parent;
      continue;
    }
    candidates[pt.name()] = candidatesOf(ctx, pt);
    if (candidates[pt.name()].empty()) {
      setDefault(pt, "no foreign key to a converted table");
      resolved[pt.name()] = true;
    } else {
      resolved[pt.name()] = false;
    }
  }

  // One breadth-first round: resolves the tables whose parent (explicit) or best candidate
  // (derived) was resolved before the round. A patient round lets a derived table wait for an
  // unresolved candidate that would rank before every resolved one on the rules that do not
  // depend on depth (NOT NULL, listed source), so that the stated rule decides, not the order in
  // which tables happen to resolve.
  auto round = [&](bool patient, bool& pending) {
    const std::map<std::string, bool> before = resolved;
    bool progressed = false;
    pending = false;
    for (auto& pt : ctx.tables) {
      if (before.at(pt.name())) {
        continue;
      }
      pending = true;
      if (pt.explicitSource) {
        if (before.at(pt.parent)) {
          pt.depth = findPlanned(ctx, pt.parent).depth + 1;
          resolved[pt.name()] = progressed = true;
        }
        continue;
      }
      std::optional<Candidate> best;
      std::optional<Candidate> bestWaiting;
      auto prefix = [](const Candidate& c) {
        return std::make_tuple(c.nullable ? 1 : 0, c.parent->explicitSource ? 0 : 1);
      };
      for (const auto& candidate : candidates.at(pt.name())) {
        if (!before.at(candidate.parent->name())) {
          if (!bestWaiting || prefix(candidate) < prefix(*bestWaiting)) {
            bestWaiting = candidate;
          }
          continue;
        }
        if (!best || rankOf(candidate) < rankOf(*best)) {
          best = candidate;
        }
      }
      const bool wait = patient && best && bestWaiting && prefix(*bestWaiting) < prefix(*best);
      if (best && !wait) {
        pt.kind = Kind::Parent;
        pt.parent = best->parent->name();
        pt.via = best->fk->columns;
        pt.referencedColumns = best->fk->referencedColumns;
        pt.sourceForeignKey = best->fk->name;
        pt.nullableSource = best->nullable;
        pt.depth = best->parent->depth + 1;
        pt.reason = std::string(best->nullable ? "nullable" : "NOT NULL") + " foreign key " +
                    best->fk->name + " to " + pt.parent + ", whose tenant is known (" +
                    describeSource(*best->parent) + ")" +
                    (best->nullable ? "; rows whose " + joined(best->fk->columns) +
                                          " is NULL get the default tenant"
                                    : "");
        resolved[pt.name()] = progressed = true;
      }
    }
    return progressed;
  };

  for (;;) {
    bool pending = false;
    if (round(true, pending) || !pending) {
      if (!pending) {
        break;
      }
      continue;
    }
    if (round(false, pending)) {
      continue;
    }
    // Only cycles of foreign keys remain: break one at the first derived table.
    auto it = std::find_if(ctx.tables.begin(), ctx.tables.end(), [&](const PlannedTable& pt) {
      return !resolved.at(pt.name()) && !pt.explicitSource;
    });
    if (it == ctx.tables.end()) {
      throw std::logic_error("tenant source resolution made no progress");
    }
    setDefault(*it,
               "its foreign keys only lead back to itself (a cycle), so it starts from the default "
               "tenant");
    resolved[it->name()] = true;
  }

  for (auto& pt : ctx.tables) {
    describeAlternatives(ctx, pt);
    checkCrossTenantRefs(ctx, pt);
  }
  for (auto& pt : ctx.tables) {
    pt.source = describeSource(pt);
  }
  std::stable_sort(ctx.tables.begin(), ctx.tables.end(),
                   [](const PlannedTable& a, const PlannedTable& b) {
                     return std::tie(a.depth, a.table->name) < std::tie(b.depth, b.table->name);
                   });
}

}  // namespace tenantshift::plan
