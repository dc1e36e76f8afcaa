#pragma once

#include <mutex>
#include <random>

namespace tenantshift::kube {

// Randomness for jitter, injected so that tests choose it.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Uniform in [0, 1).
  virtual double uniform() = 0;
};

// A std::mt19937_64 seeded from std::random_device; safe to share between threads.
class StdRandomSource final : public RandomSource {
 public:
  StdRandomSource();
  double uniform() override;

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_;  // guarded by mutex_
};

}  // namespace tenantshift::kube
