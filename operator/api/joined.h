#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tenantshift::api {

// "a, b, c": the items with `separator` between them (for messages, plans and reports).
inline std::string joined(const std::vector<std::string>& items,
                          std::string_view separator = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += items[i];
  }
  return out;
}

}  // namespace tenantshift::api
