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
  for (const auto& fk : pt.table->foreignKeys) {
    if (fk.referencedTable == from.parent && fk.columns == via) {
      pt.referencedColumns = fk.referencedColumns;
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

struct Candidate {
  const ForeignKey* fk;
  const PlannedTable* parent;
};

std::vector<Candidate> candidatesOf(const PlanContext& ctx, const PlannedTable& pt,
                                    std::vector<std::string>& nullable) {
  std::vector<const ForeignKey*> fks;
  for (const auto& fk : pt.table->foreignKeys) {
    fks.push_back(&fk);
  }
  std::sort(fks.begin(), fks.end(),
            [](const ForeignKey* a, const ForeignKey* b) { return a->name < b->name; });
  std::vector<Candidate> out;
  for (const ForeignKey* fk : fks) {
    const PlannedTable* parent = ctx.find(fk->referencedTable);
    if (parent == nullptr || fk->referencedTable == pt.name()) {
      continue;
    }
    bool allNotNull = !fk->columns.empty();
    for (const auto& column : fk->columns) {
      const Column* c = pt.table->findColumn(column);
      allNotNull = allNotNull && c != nullptr && c->notNull;
    }
    if (allNotNull) {
      out.push_back({fk, parent});
    } else {
      nullable.push_back(fk->name);
    }
  }
  return out;
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
  std::map<std::string, std::vector<std::string>> nullableFks;
  for (auto& pt : ctx.tables) {
    if (pt.explicitSource) {
      resolved[pt.name()] = pt.kind != Kind::Parent;
      continue;
    }
    candidates[pt.name()] = candidatesOf(ctx, pt, nullableFks[pt.name()]);
    if (candidates[pt.name()].empty()) {
      std::string reason = "no NOT NULL foreign key to a converted table";
      if (!nullableFks[pt.name()].empty()) {
        reason += " (nullable foreign keys not followed: " + joined(nullableFks[pt.name()]) +
                  "; rows without a parent would have no tenant)";
      }
      setDefault(pt, reason);
      resolved[pt.name()] = true;
    } else {
      resolved[pt.name()] = false;
    }
  }

  // One breadth-first round: resolves the tables whose parent (explicit) or best candidate
  // (derived) was resolved before the round. A patient round lets a derived table wait for a
  // candidate parent with an explicit source that is not resolved yet, so that it is preferred.
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
      bool waiting = false;
      for (const auto& candidate : candidates.at(pt.name())) {
        if (!before.at(candidate.parent->name())) {
          waiting = waiting || candidate.parent->explicitSource;
          continue;
        }
        auto rank = [](const Candidate& c) {
          return std::make_tuple(c.parent->explicitSource ? 0 : 1, c.parent->depth, c.fk->name);
        };
        if (!best || rank(candidate) < rank(*best)) {
          best = candidate;
        }
      }
      if (best && !(patient && waiting && !best->parent->explicitSource)) {
        pt.kind = Kind::Parent;
        pt.parent = best->parent->name();
        pt.via = best->fk->columns;
        pt.referencedColumns = best->fk->referencedColumns;
        pt.depth = best->parent->depth + 1;
        pt.reason = "NOT NULL foreign key " + best->fk->name + " to " + pt.parent +
                    ", whose tenant is known (" + describeSource(*best->parent) + ")";
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
    // Only cycles of NOT NULL foreign keys remain: break one at the first derived table.
    auto it = std::find_if(ctx.tables.begin(), ctx.tables.end(), [&](const PlannedTable& pt) {
      return !resolved.at(pt.name()) && !pt.explicitSource;
    });
    if (it == ctx.tables.end()) {
      throw std::logic_error("tenant source resolution made no progress");
    }
    setDefault(*it,
               "its NOT NULL foreign keys only lead back to itself (a cycle), so it starts "
               "from the default tenant");
    resolved[it->name()] = true;
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
