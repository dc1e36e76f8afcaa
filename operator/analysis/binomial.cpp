#include "analysis/binomial.h"

#include <algorithm>
#include <cmath>

namespace tenantshift::analysis {

double binomialAtLeast(std::size_t n, std::size_t k, double p) {
  if (k == 0) {
    return 1.0;
  }
  if (k > n) {
    return 0.0;
  }
  p = std::clamp(p, 0.0, 1.0);
  if (p <= 0.0) {
    return 0.0;
  }
  if (p >= 1.0) {
    return 1.0;
  }
  // Sum of the probability mass from k to n, each term from its logarithm (n! overflows long
  // before the samples a judgement looks at).
  const auto trials = static_cast<double>(n);
  const double logP = std::log(p);
  const double logQ = std::log1p(-p);
  const double logTrialsFactorial = std::lgamma(trials + 1.0);
  double sum = 0.0;
  for (std::size_t i = k; i <= n; ++i) {
    const auto successes = static_cast<double>(i);
    const double logMass = logTrialsFactorial - std::lgamma(successes + 1.0) -
                           std::lgamma(trials - successes + 1.0) + successes * logP +
                           (trials - successes) * logQ;
    sum += std::exp(logMass);
  }
  return std::min(1.0, sum);
}

double wilsonUpperBound(std::size_t n, std::size_t k, double z) {
  if (n == 0) {
    return 1.0;
  }
  const auto count = static_cast<double>(n);
  const double share = static_cast<double>(std::min(k, n)) / count;
  const double z2 = z * z;
  const double centre = share + z2 / (2.0 * count);
  const double spread = z * std::sqrt(share * (1.0 - share) / count + z2 / (4.0 * count * count));
  return std::min(1.0, (centre + spread) / (1.0 + z2 / count));
}

}  // namespace tenantshift::analysis
