#include "plan/plan_hash.h"

#include <string_view>

#include "api/content_hash.h"
#include "plan/flag_switch.h"

namespace tenantshift::plan {

namespace {

void addField(api::Fnv1a64& hash, std::string_view field) {
  hash.add(field);
  hash.add(std::string_view("\0", 1));
}

// "up"/"down" and each statement's parameter count are fields too: without them a statement
// moved from up to down, or a parameter taken for the next statement's SQL, would hash the same.
void addStatements(api::Fnv1a64& hash, std::string_view label, const std::vector<Statement>& list) {
  addField(hash, label);
  for (const Statement& statement : list) {
    addField(hash, statement.sql);
    addField(hash, std::to_string(statement.params.size()));
    for (const std::string& param : statement.params) {
      addField(hash, param);
    }
  }
}

}  // namespace

// FNV-1a (64 bits) over every step in order: id, phase, up statements, down statements and, for
// a flag outside the database, what it sets; each field followed by '\0'; 16 lowercase hex
// digits.
std::string planHash(const Plan& plan) {
  api::Fnv1a64 hash;
  for (const Step& step : plan.steps) {
    addField(hash, step.id);
    addField(hash, toString(step.phase));
    addStatements(hash, "up", step.up);
    addStatements(hash, "down", step.down);
    if (step.flagSwitch) {
      addField(hash, "flag-switch");
      for (const std::string& field : flagSwitchFields(*step.flagSwitch)) {
        addField(hash, field);
      }
    }
  }
  return hash.hex();
}

}  // namespace tenantshift::plan
