#pragma once

#include <string>
#include <string_view>

namespace tenantshift::plan {

// PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1).
inline constexpr std::size_t kMaxIdentifierBytes = 63;

// `base` + `suffix`, kept within 63 bytes: when too long, `base` is cut (at a UTF-8 character
// boundary) and an 8-hex-digit hash of the full name is inserted before `suffix`, so that two
// long names sharing a prefix still get different, stable names.
std::string boundedName(std::string_view base, std::string_view suffix);

}  // namespace tenantshift::plan
