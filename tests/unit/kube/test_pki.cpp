#include "test_pki.h"

#include <cpprest/asyncrt_utils.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace tenantshift::kube::testing {

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("test PKI: ") + what + " failed");
  }
}

KeyPtr newKey() {
  KeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

CertPtr certificate(const char* commonName, EVP_PKEY* subjectKey, X509* issuer, EVP_PKEY* issuerKey,
                    bool isCa, long serial) {
  CertPtr cert(X509_new(), X509_free);
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) == 1, "serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(commonName), -1, -1, 0);
  check(X509_set_issuer_name(cert.get(),
                             issuer != nullptr ? X509_get_subject_name(issuer) : name) == 1,
        "issuer");
  check(X509_set_pubkey(cert.get(), subjectKey) == 1, "X509_set_pubkey");
  if (isCa) {
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE");
    check(ext != nullptr, "basicConstraints");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  check(X509_sign(cert.get(), issuerKey, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string pemOf(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string pemOf(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

TestPki makeTestPki() {
  KeyPtr caKey = newKey();
  CertPtr ca = certificate("tenantshift-test-ca", caKey.get(), nullptr, caKey.get(), true, 1);
  KeyPtr clientKey = newKey();
  CertPtr client =
      certificate("tenantshift-test-client", clientKey.get(), ca.get(), caKey.get(), false, 2);
  KeyPtr otherKey = newKey();
  return TestPki{pemOf(ca.get()), pemOf(client.get()), pemOf(clientKey.get()),
                 pemOf(otherKey.get())};
}

}  // namespace

const TestPki& testPki() {
  static const TestPki pki = makeTestPki();
  return pki;
}

std::string base64(const std::string& bytes) {
  return utility::conversions::to_base64(std::vector<unsigned char>(bytes.begin(), bytes.end()));
}

}  // namespace tenantshift::kube::testing
