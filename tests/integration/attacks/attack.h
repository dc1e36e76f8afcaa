#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// One attempt of the attack suite (issue 7) at another tenant's rows, as the application's login
// role rentals_app, and the outcome that proves it defended; and the database states the suite
// attacks. Branch 2 is "A", the attacker's own tenant; branch 3 is "B", the victim.
namespace tenantshift::attacks {

inline constexpr const char* kOwn = "2";      // the attacker's branch (A)
inline constexpr const char* kForeign = "3";  // the victim (B)

// The states the suite attacks, in the order a rollback undoes more of the migration: converted
// to the end (flag on, policies enforced), then after each `tenantshift rollback --scenario`. A
// case holds in the state it names (Attack::holdsUntil) and in every state before it.
enum class State {
  kEnforced,
  kFlagOff,     // the policies permissive again when no tenant is set, the original keys back
  kDisableRls,  // also no policies, RLS disabled: one tenant again, by design
  kFull,        // also no tenant column, constraint, index, trigger or role of the migration
};
std::string_view toString(State state);  // "enforced", "flag-off", "disable-rls", "full"
inline std::ostream& operator<<(std::ostream& out, State state) {
  return out << toString(state);
}
inline constexpr State kAllStates[] = {State::kEnforced, State::kFlagOff, State::kDisableRls,
                                       State::kFull};

enum class Expect {
  kRefused,          // an error with SQLSTATE `sqlstate` whose first line contains `expected`
  kValue,            // the first column of the last statement's first row equals `expected`
  kEveryRow,         // the last statement returns rows, and each one's first column is `expected`
  kAtMostOneTenant,  // that value is "0" or "1" (a count of distinct tenants)
  kNoRows,           // the last statement returns and changes no row
  kNoRowsRemoved,    // EXPLAIN ANALYZE output without "Rows Removed by Filter: N", N > 0
};

struct Attack {
  std::string name;
  std::optional<std::string> tenant;  // set_config('app.current_branch_id', tenant, true) first
  std::string sql;                    // {placeholders}: see attackIds() (attack_states.h)
  Expect expect = Expect::kRefused;
  std::string expected;
  std::string sqlstate;  // kRefused: the error's SQLSTATE, e.g. 42501 (insufficient_privilege)
  State holdsUntil = State::kFlagOff;
  // Run before the case's own transaction, on the same connection, each one as it is (outside a
  // transaction: an element may BEGIN and COMMIT its own): the state one request leaves behind on
  // a pooled connection (settings, prepared statements, cursors). Never changes data.
  std::vector<std::string> earlier;
  // Not empty: the case demonstrates an exposure that README's security model says stays open
  // (what only the application can close, or metadata), and asserts that it is there: when it
  // closes, the case fails and the README must say so.
  std::string exposure;

  Attack until(State state) && {
    holdsUntil = state;
    return std::move(*this);
  }
  Attack after(std::vector<std::string> statements) && {
    earlier = std::move(statements);
    return std::move(*this);
  }
  Attack asExposure(std::string why) && {
    exposure = std::move(why);
    return std::move(*this);
  }
};

inline std::ostream& operator<<(std::ostream& out, const Attack& attack) {
  return out << attack.name;
}

// Every case of the suite, for every state (each says until which state it holds).
std::vector<Attack> attackCases();
// The cases that hold in `state`.
std::vector<Attack> attackCasesIn(State state);

}  // namespace tenantshift::attacks
