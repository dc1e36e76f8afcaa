#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "attack.h"

// The databases the attack suite attacks, one per State, each made the first time a test asks
// for it: the rentals chain (tests/fixtures/rentals) made ready the way its reviewer would,
// converted to the end by `tenantshift run`, then (for each rollback state) rolled back by
// `tenantshift rollback --scenario ...` while the application's role holds session advisory
// locks on every key it could guess.
namespace tenantshift::attacks {

struct AttackState {
  State state = State::kEnforced;
  std::string url;                 // as the superuser
  std::filesystem::path manifest;  // the manifest it was converted and rolled back with
  std::string bypassRole;          // that manifest's spec.tenant.bypassRole
  std::string schemaBefore;        // public's schema-only dump right before `tenantshift run`
  // The {placeholders} of the cases, read before the rollback (a full rollback drops the tenant
  // column they are read by): a_/b_store, _customer, _inventory, _staff, _rental (the lowest id of
  // A's and B's), b_email, b_api_log, b_stranger (a B customer with no rental or payment at A),
  // film, own_customers and b_customers (A's and B's customers), all_customers, large_object,
  // bypass_role.
  std::map<std::string, std::string> ids;
  // Not empty: converting or rolling back failed (or rollback was blocked); every test of the
  // state fails with it.
  std::string error;
};

// The state's database, made on first use (once per test binary).
const AttackState& attackState(State state);

}  // namespace tenantshift::attacks
