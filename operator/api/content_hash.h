#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tenantshift::api {

// FNV-1a, 64 bits: a stable fingerprint of text (the spec's hash, step checksums, the plan's
// hash), fed piece by piece. Not a security measure.
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

// The FNV-1a hash of `text` as 16 hex digits.
std::string contentHash(std::string_view text);

}  // namespace tenantshift::api
