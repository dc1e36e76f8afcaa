#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "verify/setting_checks.h"

namespace tenantshift::verify {

// current_setting(setting, true) as this session has it: read before anything in the session
// sets the tenant (afterwards it is '' at best, never again NULL).
std::optional<std::string> readSessionSetting(pqxx::connection& connection,
                                              const std::string& setting);

// The defaults of the tenant setting that sessions of the app role start with: role and
// database settings (pg_db_role_setting) and, when the runner may read them, the configuration
// files (pg_file_settings).
SettingFacts readSettingFacts(pqxx::transaction_base& tx, const std::string& setting,
                              const std::string& appRole,
                              const std::optional<std::string>& sessionValue);

}  // namespace tenantshift::verify
