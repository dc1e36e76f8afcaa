#pragma once

#include <string>

namespace tenantshift::kube::testing {

// PEM material made with OpenSSL for the tests: a CA, a client certificate it signed with its
// key, and a second key that belongs to neither.
struct TestPki {
  std::string caCertificate;
  std::string clientCertificate;
  std::string clientKey;
  std::string otherKey;
};

// Made once per test binary (key generation is the slow part).
const TestPki& testPki();

std::string base64(const std::string& bytes);

}  // namespace tenantshift::kube::testing
