#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "verify/relation_facts.h"
#include "verify/verify_report.h"

namespace tenantshift::verify {

// A non-empty default of the tenant setting that sessions of the app role would start with:
// such a session, meaning "no tenant set", would see that tenant's rows.
struct SettingDefault {
  enum class Level {
    Role,               // ALTER ROLE app SET
    RoleInDatabase,     // ALTER ROLE app IN DATABASE db SET
    Database,           // ALTER DATABASE db SET (or ALTER ROLE ALL IN DATABASE db SET)
    AllRoles,           // ALTER ROLE ALL SET
    ConfigurationFile,  // postgresql.conf or ALTER SYSTEM (postgresql.auto.conf)
    Session,            // what a fresh session of the runner reads, from a source not listed
  };
  Level level = Level::Role;
  std::string role;
  std::string database;
  std::string file;  // ConfigurationFile
  std::string value;
};

struct SettingFacts {
  std::string name;                         // spec.tenant.setting
  std::optional<std::string> sessionValue;  // current_setting(name, true) when verify started
  std::vector<SettingDefault> defaults;     // app-relevant pg_db_role_setting and file entries
};

// The defaults to report: `defaults` with a non-empty value, plus the session's value when it is
// not empty and none of them explains it.
std::vector<SettingDefault> effectiveDefaults(const SettingFacts& facts);

// setting.no-default: Failed naming each default and the statement that removes it.
CheckResult checkSettingDefaults(const SettingFacts& facts, const std::string& appRole);

// What the app role saw on one relation with the tenant setting unset or ''.
struct VisibilityObservation {
  bool ran = false;
  std::string error;  // the unit could not run (lock timeouts through every retry, SQL error)
  bool appCanSelect = true;
  std::int64_t runnerRows = 0;  // count(*) as the runner, in the same snapshot
  std::int64_t appRows = 0;
  std::string appError;  // the app role's count(*) failed with this
};

// setting.unset / setting.empty for one relation: transition mode must see every row, strict
// mode none, and neither may raise an error. `how`: "never set in this session", "set to ''".
CheckResult checkVisibility(const std::string& check, const RelationFacts& relation,
                            const std::string& specSchema, const std::string& setting,
                            const std::string& idType, const std::string& how,
                            const VisibilityObservation& seen, bool strict);

}  // namespace tenantshift::verify
