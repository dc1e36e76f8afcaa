#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tenantshift::plan {

// FNV-1a, 64 bits: a stable fingerprint of text (checksums and hashes of steps and plans). Not a
// security measure.
class Fnv1a64 {
 public:
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= kPrime;
    }
  }
  std::uint64_t value() const { return hash_; }
  // 16 lowercase hex digits.
  std::string hex() const;

 private:
  static constexpr std::uint64_t kOffset = 1469598103934665603ULL;
  static constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t hash_ = kOffset;
};

}  // namespace tenantshift::plan
