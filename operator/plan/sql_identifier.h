#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tenantshift::plan {

// "name" with embedded quotes doubled: safe for any identifier (capitals, spaces, reserved words).
std::string quoteIdent(std::string_view name);
// "schema"."name"
std::string qualified(std::string_view schema, std::string_view name);
// "a", "b", "c"
std::string quoteIdentList(const std::vector<std::string>& names);
// `body` between dollar quotes whose tag does not occur in it ($ts$, else $ts1$, $ts2$, ...): an
// identifier holding a tag cannot end the body early. Deterministic, so plans stay stable.
std::string dollarQuoted(std::string_view body);
// 'value' with embedded quotes doubled; E'value' with quotes and backslashes doubled when it
// holds a backslash: the same value whatever standard_conforming_strings is (as quote_literal()).
// Only for the places DDL cannot take a bind parameter. Throws std::invalid_argument on a NUL
// byte.
std::string quoteLiteral(std::string_view value);

}  // namespace tenantshift::plan
