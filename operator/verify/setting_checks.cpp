#include "verify/setting_checks.h"

#include <algorithm>
#include <regex>

#include "api/joined.h"
#include "plan/sql_identifier.h"

namespace tenantshift::verify {

using api::joined;
using plan::quoteIdent;
using plan::quoteLiteral;

namespace {

// The setting's name as SET/RESET take it: plain when it is a lower-case dotted name, else each
// part quoted.
std::string settingName(const std::string& name) {
  static const std::regex plain(R"(^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)*$)");
  if (std::regex_match(name, plain)) {
    return name;
  }
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    out +=
        quoteIdent(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) {
      return out;
    }
    out += ".";
    start = dot + 1;
  }
}

std::string describe(const SettingDefault& entry, const std::string& name) {
  const std::string value = quoteLiteral(entry.value);
  const std::string setting = settingName(name);
  switch (entry.level) {
    case SettingDefault::Level::Role:
      return "role " + quoteIdent(entry.role) + " sets " + value + " (ALTER ROLE " +
             quoteIdent(entry.role) + " RESET " + setting + ")";
    case SettingDefault::Level::RoleInDatabase:
      return "role " + quoteIdent(entry.role) + " in database " + quoteIdent(entry.database) +
             " sets " + value + " (ALTER ROLE " + quoteIdent(entry.role) + " IN DATABASE " +
             quoteIdent(entry.database) + " RESET " + setting + ")";
    case SettingDefault::Level::Database:
      return "database " + quoteIdent(entry.database) + " sets " + value + " (ALTER DATABASE " +
             quoteIdent(entry.database) + " RESET " + setting + ")";
    case SettingDefault::Level::AllRoles:
      return "every role has " + value + " (ALTER ROLE ALL RESET " + setting + ")";
    case SettingDefault::Level::ConfigurationFile:
      if (entry.file.find("postgresql.auto.conf") != std::string::npos) {
        return "the server configuration sets " + value + " (ALTER SYSTEM RESET " + setting +
               "; SELECT pg_reload_conf())";
      }
      return "the server configuration file " + entry.file + " sets " + value +
             " (remove the line, then SELECT pg_reload_conf())";
    case SettingDefault::Level::Session:
      break;
  }
  return "a fresh session reads " + value +
         " from a source verify cannot see (postgresql.conf, ALTER SYSTEM, the PGOPTIONS of the "
         "connection, or the runner's own role settings): remove it there";
}

}  // namespace

std::vector<SettingDefault> effectiveDefaults(const SettingFacts& facts) {
  std::vector<SettingDefault> out;
  for (const SettingDefault& entry : facts.defaults) {
    if (!entry.value.empty()) {
      out.push_back(entry);
    }
  }
  if (facts.sessionValue && !facts.sessionValue->empty()) {
    const bool explained = std::any_of(out.begin(), out.end(), [&](const SettingDefault& entry) {
      return entry.value == *facts.sessionValue;
    });
    if (!explained) {
      SettingDefault session;
      session.level = SettingDefault::Level::Session;
      session.value = *facts.sessionValue;
      out.push_back(session);
    }
  }
  return out;
}

CheckResult checkSettingDefaults(const SettingFacts& facts, const std::string& appRole) {
  const std::vector<SettingDefault> defaults = effectiveDefaults(facts);
  if (defaults.empty()) {
    return result("setting.no-default", "", CheckOutcome::Passed,
                  facts.name +
                      " has no default at server, database or role level: a session "
                      "that sets no tenant starts without one");
  }
  std::vector<std::string> found;
  found.reserve(defaults.size());
  for (const SettingDefault& entry : defaults) {
    found.push_back(describe(entry, facts.name));
  }
  return result("setting.no-default", "", CheckOutcome::Failed,
                facts.name + " has a default that sessions of " + quoteIdent(appRole) +
                    " start with, so a session that sets no tenant sees that tenant's rows as "
                    "if it had chosen it: " +
                    joined(found, "; "));
}

CheckResult checkVisibility(const std::string& check, const RelationFacts& relation,
                            const std::string& specSchema, const std::string& setting,
                            const std::string& idType, const std::string& how,
                            const VisibilityObservation& seen, bool strict) {
  const std::string name = relation.label(specSchema);
  const std::string context = "as the app role with " + setting + " " + how + ", ";
  if (!seen.ran) {
    return result(check, name, CheckOutcome::Failed,
                  "isolation not proven: " + context + "the count could not run: " + seen.error);
  }
  if (!seen.appCanSelect) {
    return result(check, name, CheckOutcome::Passed,
                  "the app role has no SELECT privilege on " + name);
  }
  if (!seen.appError.empty()) {
    return result(check, name, CheckOutcome::Failed,
                  context + "SELECT count(*) fails: " + seen.appError +
                      "; the application would get this error: policies must read the setting "
                      "as (SELECT NULLIF(current_setting(" +
                      quoteLiteral(setting) + ", true), '')::" + idType + ")");
  }
  const std::string sees = "the app role sees " + std::to_string(seen.appRows) + " of " +
                           std::to_string(seen.runnerRows) + " rows";
  if (strict && seen.appRows != 0) {
    return result(check, name, CheckOutcome::Failed,
                  context + sees +
                      "; once enforced, no tenant set must mean no rows: run the enforce step "
                      "(flag/enforce), which makes the policies strict");
  }
  if (!strict && seen.appRows != seen.runnerRows) {
    return result(check, name, CheckOutcome::Failed,
                  context + sees +
                      "; until the feature flag is on the application runs without a tenant and "
                      "must see every row (the transition policies: tenant IS NULL OR matches)");
  }
  return result(check, name, CheckOutcome::Passed,
                context + "SELECT count(*) runs and " + sees +
                    (strict ? " (strict: none)" : " (transition mode: all of them)"));
}

}  // namespace tenantshift::verify
