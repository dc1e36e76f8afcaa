#pragma once

#include <map>
#include <string>

#include "attack.h"

namespace tenantshift::attacks {

// Runs `attack` as rentals_app against the database of `url` (the superuser's URL): on a
// connection of its own, its `earlier` statements first, then its SQL (placeholders replaced by
// `ids`) in a transaction of its own that is rolled back; and adds a gtest failure unless the
// outcome is the one the case expects.
void expectDefended(const std::string& url, const Attack& attack,
                    const std::map<std::string, std::string>& ids);

// `sql` with every {key} of `ids` replaced by its value.
std::string substitute(std::string sql, const std::map<std::string, std::string>& ids);

}  // namespace tenantshift::attacks
