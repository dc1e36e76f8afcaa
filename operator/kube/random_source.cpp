#include "kube/random_source.h"

namespace tenantshift::kube {

StdRandomSource::StdRandomSource() : engine_(std::random_device{}()) {}

double StdRandomSource::uniform() {
  std::lock_guard lock(mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
}

}  // namespace tenantshift::kube
