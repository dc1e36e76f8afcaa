#pragma once

#include <string>

namespace tenantshift::analysis {

// A duration in milliseconds for people: "0.42 ms", "12.3 ms", "1534 ms"; "failing" for the
// infinity that stands for failed samples.
std::string millisText(double millis);

}  // namespace tenantshift::analysis
