#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace tenantshift::flag {

// How a switch waits for its effect: the engine's clock, its pause (cut short by a stop request)
// and its safe point (throws to stop there, the step left to resume).
struct WaitControl {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<void(const std::string& where)> checkpoint;
};

// The application's feature flag where it lives outside the database
// (spec.featureFlag.configMap: ConfigMapFlagSwitch; spec.featureFlag.deployment:
// DeploymentEnvFlagSwitch). The engine's flag step turns it: it sets the value unless the flag
// holds it already, then awaits the effect. Errors: FlagSwitchError, saying what to do.
class FeatureFlagSwitch {
 public:
  virtual ~FeatureFlagSwitch() = default;

  // "ConfigMap shop/app-config key rls", for logs and messages.
  virtual std::string describe() const = 0;
  // The applied-check: whether the flag holds `value` now.
  virtual bool holds(const std::string& value) = 0;
  // Gives the flag `value`; doing it again changes nothing.
  virtual void set(const std::string& value) = 0;
  // Returns once the application runs with the flag as it is now (a Deployment: its rollout is
  // complete). Logs its progress while it waits.
  virtual void awaitEffect(const WaitControl& wait) = 0;
};

// Sets `value` unless the flag holds it already, then awaits its effect: what a flag step's up
// (`on`) and down (`off`) do, idempotent and resumable.
void turnFlag(FeatureFlagSwitch& flag, const std::string& value, const WaitControl& wait);

}  // namespace tenantshift::flag
