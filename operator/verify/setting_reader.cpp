#include "verify/setting_reader.h"

#include "verify/sql_support.h"

namespace tenantshift::verify {

std::optional<std::string> readSessionSetting(pqxx::connection& connection,
                                              const std::string& setting) {
  pqxx::read_transaction tx(connection, "tenantshift_verify_setting");
  auto row = tx.exec_params1("SELECT current_setting($1, true)", setting);
  return optionalText(row[0]);
}

SettingFacts readSettingFacts(pqxx::transaction_base& tx, const std::string& setting,
                              const std::string& appRole,
                              const std::optional<std::string>& sessionValue) {
  SettingFacts facts;
  facts.name = setting;
  facts.sessionValue = sessionValue;
  // A role's settings apply when it logs in (not on SET ROLE); ALTER DATABASE and ALTER ROLE
  // ALL settings apply to every role.
  auto rows = tx.exec_params(
      "SELECT s.setdatabase = 0, s.setrole = 0, COALESCE(d.datname::text, ''),"
      "       COALESCE(r.rolname::text, ''), substr(cfg, strpos(cfg, '=') + 1)"
      "  FROM pg_catalog.pg_db_role_setting s"
      "  LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase"
      "  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole,"
      "  unnest(s.setconfig) AS cfg"
      " WHERE lower(split_part(cfg, '=', 1)) = lower($1)"
      "   AND (s.setdatabase = 0 OR d.datname = current_database())"
      "   AND (s.setrole = 0 OR r.rolname = $2)"
      " ORDER BY 1, 2, 3, 4",
      setting, appRole);
  for (const auto& row : rows) {
    SettingDefault entry;
    const bool anyDatabase = row[0].as<bool>();
    const bool anyRole = row[1].as<bool>();
    entry.database = row[2].as<std::string>();
    entry.role = row[3].as<std::string>();
    entry.value = row[4].as<std::string>();
    entry.level =
        anyRole
            ? (anyDatabase ? SettingDefault::Level::AllRoles : SettingDefault::Level::Database)
            : (anyDatabase ? SettingDefault::Level::Role : SettingDefault::Level::RoleInDatabase);
    facts.defaults.push_back(std::move(entry));
  }
  // pg_file_settings is for superusers (and pg_read_all_settings) only.
  bool readable = tx.exec_params1(
                        "SELECT pg_catalog.has_table_privilege('pg_catalog.pg_file_settings', "
                        "'SELECT')")[0]
                      .as<bool>();
  if (readable) {
    for (const auto& row : tx.exec_params("SELECT COALESCE(sourcefile, ''), COALESCE(setting, '')"
                                          "  FROM pg_catalog.pg_file_settings"
                                          " WHERE lower(name) = lower($1) AND applied",
                                          setting)) {
      SettingDefault entry;
      entry.level = SettingDefault::Level::ConfigurationFile;
      entry.file = row[0].as<std::string>();
      entry.value = row[1].as<std::string>();
      facts.defaults.push_back(std::move(entry));
    }
  }
  return facts;
}

}  // namespace tenantshift::verify
