#include "verify/verify_inputs.h"

#include <thread>

namespace tenantshift::verify {

void VerifyOptions::sleepFor(std::chrono::milliseconds duration) const {
  if (duration.count() <= 0) {
    return;
  }
  if (sleep) {
    sleep(duration);
  } else {
    std::this_thread::sleep_for(duration);
  }
}

double VerifyOptions::unitRandom() const {
  return random ? random() : 1.0;
}

}  // namespace tenantshift::verify
