#pragma once

#include <cstddef>

namespace tenantshift::analysis {

// P(X >= k) for X ~ Binomial(n, p): how likely `k` or more successes in `n` trials are when each
// succeeds with probability `p`. 1 when k is 0; 0 when k > n. `p` is clamped to [0, 1].
double binomialAtLeast(std::size_t n, std::size_t k, double p);

// The upper end of the Wilson score interval for a share of `k` in `n` at `z` standard deviations:
// a share that `k` of `n` observed makes unlikely to be exceeded (z = 1: about 84% sure). 1 when
// n is 0.
double wilsonUpperBound(std::size_t n, std::size_t k, double z);

}  // namespace tenantshift::analysis
