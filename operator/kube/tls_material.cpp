#include "kube/tls_material.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/buffer.hpp>
#include <memory>

#include "kube/kube_config_error.h"

namespace tenantshift::kube {

namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

BioPtr memoryBio(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    throw std::bad_alloc();
  }
  return bio;
}

// OpenSSL's reason for the last failure, and the error queue cleared.
std::string opensslReason() {
  const unsigned long code = ERR_peek_last_error();
  std::string reason = code == 0 ? "no PEM data found" : ERR_reason_error_string(code);
  ERR_clear_error();
  return reason;
}

X509Ptr firstCertificate(const std::string& pem) {
  BioPtr bio = memoryBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

void checkCertificatePem(const std::string& pem, const std::string& source,
                         const std::string& field) {
  if (!firstCertificate(pem)) {
    throw KubeConfigError(
        source, field,
        "not a PEM certificate (" + opensslReason() + "): expected -----BEGIN CERTIFICATE-----");
  }
  ERR_clear_error();
}

void checkPrivateKeyPem(const std::string& keyPem, const std::string& certificatePem,
                        const std::string& source, const std::string& field) {
  BioPtr bio = memoryBio(keyPem);
  // An empty passphrase callback result: an encrypted key fails instead of prompting.
  auto noPassphrase = [](char*, int, int, void*) { return 0; };
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (!key) {
    throw KubeConfigError(source, field,
                          "not an unencrypted PEM private key (" + opensslReason() + ")");
  }
  X509Ptr certificate = firstCertificate(certificatePem);
  if (certificate && X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    throw KubeConfigError(source, field,
                          "the private key does not belong to the client certificate");
  }
  ERR_clear_error();
}

void configureTls(boost::asio::ssl::context& context, const ClusterConfig& config) {
  if (!config.certificateAuthorityPem.empty()) {
    // Trust the cluster's CA alone, as kubectl does when a kubeconfig names one.
    X509_STORE* store = X509_STORE_new();
    if (store == nullptr) {
      throw std::bad_alloc();
    }
    SSL_CTX_set_cert_store(context.native_handle(), store);
    context.add_certificate_authority(boost::asio::buffer(config.certificateAuthorityPem));
  }
  if (!config.clientCertificatePem.empty()) {
    context.use_certificate_chain(boost::asio::buffer(config.clientCertificatePem));
    context.use_private_key(boost::asio::buffer(config.clientKeyPem),
                            boost::asio::ssl::context::pem);
  }
  context.set_verify_mode(boost::asio::ssl::verify_peer);
}

}  // namespace tenantshift::kube
