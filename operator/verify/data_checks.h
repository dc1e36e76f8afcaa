#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// How many of the largest tenants the per-tenant visibility check probes, per table.
inline constexpr std::size_t kSpotCheckTenants = 5;

struct TenantCount {
  std::string tenant;
  std::int64_t rows = 0;
};

struct TenantVisibility {
  std::string tenant;
  std::int64_t expected = 0;  // rows of the tenant, counted by the runner
  std::int64_t visible = 0;   // rows the app role sees with that tenant set
  std::string error;
};

// What one table's data unit read, in one REPEATABLE READ snapshot.
struct DataObservation {
  bool ran = false;
  std::string error;  // could not run: why
  std::int64_t rows = 0;
  std::int64_t nullTenants = 0;
  std::int64_t missingTenants = 0;   // tenant ids absent from the tenants table
  std::size_t tenants = 0;           // distinct tenant ids
  std::vector<TenantCount> largest;  // the kSpotCheckTenants largest, largest first
  bool appProbed = false;            // the app role's per-tenant counts were taken
  bool appCanSelect = true;
  std::vector<TenantVisibility> perTenant;
};

// data.counts (when the unit could not run), data.row-count (tenant tables: a Warning when it
// differs from the baseline, which the application may well have changed), data.null-tenant,
// data.missing-tenant, data.tenant-sum.
std::vector<CheckResult> checkData(const RelationFacts& relation, const std::string& specSchema,
                                   const std::string& tenantsTable,
                                   const std::optional<std::int64_t>& baseline,
                                   const DataObservation& seen);

}  // namespace tenantshift::verify
