#include "flag/feature_flag_switch.h"

#include <spdlog/spdlog.h>

namespace tenantshift::flag {

void turnFlag(FeatureFlagSwitch& flag, const std::string& value, const WaitControl& wait) {
  if (flag.holds(value)) {
    spdlog::info("feature flag {} holds \"{}\" already", flag.describe(), value);
  } else {
    flag.set(value);
    spdlog::info("feature flag {} set to \"{}\"", flag.describe(), value);
  }
  flag.awaitEffect(wait);
}

}  // namespace tenantshift::flag
