#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

#include "kube/cluster_config.h"

namespace tenantshift::kube {

// Throws KubeConfigError naming source and field unless pem holds at least one X.509
// certificate.
void checkCertificatePem(const std::string& pem, const std::string& source,
                         const std::string& field);
// Throws KubeConfigError unless pem holds a private key (unencrypted) that belongs to the
// certificate in certificatePem.
void checkPrivateKeyPem(const std::string& keyPem, const std::string& certificatePem,
                        const std::string& source, const std::string& field);

// Sets up a TLS context for the API server: when a CA is configured it is the only one trusted
// (the system's CAs are dropped); the client certificate and key, if any, are presented. Peer
// verification stays on: nothing here can turn it off. Throws boost::system::system_error when
// OpenSSL refuses the material (checked beforehand by the functions above).
void configureTls(boost::asio::ssl::context& context, const ClusterConfig& config);

}  // namespace tenantshift::kube
