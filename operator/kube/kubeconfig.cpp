#include "kube/kubeconfig.h"

#include <cpprest/asyncrt_utils.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include "kube/kube_config_error.h"
#include "kube/tls_material.h"

namespace tenantshift::kube {

namespace {

std::string sourceOf(const std::filesystem::path& path) {
  return "kubeconfig " + path.string();
}

// A named entry of clusters, users or contexts, and the file that defined it.
struct Entry {
  YAML::Node body;  // the "cluster", "user" or "context" map
  std::size_t file = 0;
};

struct ParsedFile {
  std::filesystem::path path;
  YAML::Node root;
};

// Reads the string at `key` of `map`; nullopt when absent or null.
std::optional<std::string> optionalString(const YAML::Node& map, const std::string& key,
                                          const std::string& source, const std::string& field) {
  const YAML::Node& constMap = map;  // const access never inserts
  if (!constMap.IsMap()) {
    return std::nullopt;
  }
  const YAML::Node value = constMap[key];
  if (!value.IsDefined() || value.IsNull()) {
    return std::nullopt;
  }
  if (!value.IsScalar()) {
    throw KubeConfigError(source, field, "must be a string");
  }
  return value.Scalar();
}

std::string stringOr(const YAML::Node& map, const std::string& key, const std::string& source,
                     const std::string& field) {
  return optionalString(map, key, source, field).value_or("");
}

std::string decodeBase64(const std::string& encoded, const std::string& source,
                         const std::string& field) {
  std::string compact;
  std::copy_if(encoded.begin(), encoded.end(), std::back_inserter(compact),
               [](char c) { return std::isspace(static_cast<unsigned char>(c)) == 0; });
  try {
    const std::vector<unsigned char> bytes = utility::conversions::from_base64(compact);
    std::string decoded(bytes.begin(), bytes.end());
    if (decoded.empty()) {
      throw KubeConfigError(source, field, "is empty");
    }
    return decoded;
  } catch (const KubeConfigError&) {
    throw;
  } catch (const std::exception& error) {
    throw KubeConfigError(source, field, std::string("is not valid base64: ") + error.what());
  }
}

std::filesystem::path resolvePath(const std::string& value, const std::filesystem::path& file) {
  const std::filesystem::path path(value);
  if (path.is_absolute()) {
    return path.lexically_normal();
  }
  return (std::filesystem::absolute(file).parent_path() / path).lexically_normal();
}

// Indexes one list (clusters, users, contexts) of every file by name: the first wins.
std::map<std::string, Entry> indexEntries(const std::vector<ParsedFile>& files,
                                          const std::string& listKey, const std::string& bodyKey) {
  std::map<std::string, Entry> entries;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const YAML::Node& root = files[f].root;
    const std::string source = sourceOf(files[f].path);
    if (!root.IsMap()) {
      continue;
    }
    const YAML::Node list = root[listKey];
    if (!list.IsDefined() || list.IsNull()) {
      continue;
    }
    if (!list.IsSequence()) {
      throw KubeConfigError(source, listKey, "must be a list");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const YAML::Node item = list[i];
      const std::string field = listKey + "[" + std::to_string(i) + "]";
      const std::string name = stringOr(item, "name", source, field + ".name");
      if (name.empty()) {
        throw KubeConfigError(source, field + ".name", "missing: every entry needs a name");
      }
      const YAML::Node body = item[bodyKey];
      if (body.IsDefined() && !body.IsNull() && !body.IsMap()) {
        throw KubeConfigError(source, listKey + "[" + name + "]." + bodyKey, "must be a map");
      }
      entries.try_emplace(name, Entry{body, f});
    }
  }
  return entries;
}

std::string namesOf(const std::map<std::string, Entry>& entries) {
  std::string names;
  for (const auto& [name, entry] : entries) {
    names += (names.empty() ? "" : ", ") + name;
  }
  return names.empty() ? "none" : names;
}

void refuseIfSet(const YAML::Node& body, const std::string& key, const std::string& source,
                 const std::string& prefix, const std::string& why) {
  const YAML::Node& constBody = body;
  if (constBody.IsMap() && constBody[key].IsDefined() && !constBody[key].IsNull()) {
    throw KubeConfigError(source, prefix + key, why);
  }
}

void readCluster(const Entry& entry, const std::string& name, const ParsedFile& file,
                 KubeconfigSelection& selection) {
  const std::string source = sourceOf(file.path);
  const std::string prefix = "clusters[" + name + "].cluster.";
  const YAML::Node& body = entry.body;
  selection.clusterSource = source;

  std::string server = stringOr(body, "server", source, prefix + "server");
  if (server.empty()) {
    throw KubeConfigError(source, prefix + "server", "missing: the API server's https:// URL");
  }
  if (server.rfind("https://", 0) != 0) {
    throw KubeConfigError(source, prefix + "server",
                          "\"" + server +
                              "\" is not an https:// URL: the client only talks TLS to the API "
                              "server");
  }
  while (server.size() > std::string("https://").size() && server.back() == '/') {
    server.pop_back();
  }
  selection.server = server;

  const YAML::Node& constBody = body;
  if (constBody.IsMap() && constBody["insecure-skip-tls-verify"].IsDefined()) {
    bool insecure = false;
    try {
      insecure = constBody["insecure-skip-tls-verify"].as<bool>();
    } catch (const YAML::Exception&) {
      throw KubeConfigError(source, prefix + "insecure-skip-tls-verify", "must be true or false");
    }
    if (insecure) {
      throw KubeConfigError(source, prefix + "insecure-skip-tls-verify",
                            "is true, but tenantshift never disables TLS verification: remove it "
                            "and give certificate-authority or certificate-authority-data (the "
                            "cluster's CA certificate)");
    }
  }
  refuseIfSet(body, "tls-server-name", source, prefix,
              "is not supported: the server's certificate must name the address in server");
  refuseIfSet(body, "proxy-url", source, prefix,
              "is not supported: the client connects to the API server directly");

  if (auto data = optionalString(body, "certificate-authority-data", source,
                                 prefix + "certificate-authority-data")) {
    selection.certificateAuthorityData =
        decodeBase64(*data, source, prefix + "certificate-authority-data");
  } else if (auto path = optionalString(body, "certificate-authority", source,
                                        prefix + "certificate-authority")) {
    selection.certificateAuthorityFile = resolvePath(*path, file.path);
  }
}

void readUser(const Entry& entry, const std::string& name, const ParsedFile& file,
              KubeconfigSelection& selection) {
  const std::string source = sourceOf(file.path);
  const std::string prefix = "users[" + name + "].user.";
  const YAML::Node& body = entry.body;
  selection.userSource = source;

  refuseIfSet(body, "exec", source, prefix,
              "credential plugins are not supported: use a token, tokenFile or client "
              "certificate (e.g. a service account token)");
  refuseIfSet(body, "auth-provider", source, prefix,
              "auth provider plugins are not supported: use a token, tokenFile or client "
              "certificate");
  for (const char* key : {"username", "password"}) {
    refuseIfSet(body, key, source, prefix,
                "basic authentication is not supported by Kubernetes (since 1.19): use a token "
                "or client certificate");
  }
  for (const char* key : {"as", "as-uid", "as-groups", "as-user-extra"}) {
    refuseIfSet(body, key, source, prefix,
                "impersonation is not supported: use the identity's own credentials");
  }

  selection.token = stringOr(body, "token", source, prefix + "token");
  if (auto path = optionalString(body, "tokenFile", source, prefix + "tokenFile")) {
    selection.tokenFile = resolvePath(*path, file.path);
  }
  if (auto data = optionalString(body, "client-certificate-data", source,
                                 prefix + "client-certificate-data")) {
    selection.clientCertificateData =
        decodeBase64(*data, source, prefix + "client-certificate-data");
  } else if (auto path = optionalString(body, "client-certificate", source,
                                        prefix + "client-certificate")) {
    selection.clientCertificateFile = resolvePath(*path, file.path);
  }
  if (auto data = optionalString(body, "client-key-data", source, prefix + "client-key-data")) {
    selection.clientKeyData = decodeBase64(*data, source, prefix + "client-key-data");
  } else if (auto path = optionalString(body, "client-key", source, prefix + "client-key")) {
    selection.clientKeyFile = resolvePath(*path, file.path);
  }
  const bool hasCertificate =
      !selection.clientCertificateData.empty() || !selection.clientCertificateFile.empty();
  const bool hasKey = !selection.clientKeyData.empty() || !selection.clientKeyFile.empty();
  if (hasCertificate != hasKey) {
    throw KubeConfigError(source, prefix + (hasCertificate ? "client-key" : "client-certificate"),
                          std::string("missing: ") +
                              (hasCertificate ? "a client certificate needs its key "
                                                "(client-key or client-key-data)"
                                              : "a client key needs its certificate "
                                                "(client-certificate or client-certificate-data)"));
  }
}

std::string readWholeFile(const std::filesystem::path& path, const std::string& source,
                          const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw KubeConfigError(source, field,
                          "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

KubeconfigSelection selectKubeconfigContext(const std::vector<KubeconfigFile>& files,
                                            const std::string& context) {
  if (files.empty()) {
    throw KubeConfigError("kubeconfig", "", "no kubeconfig file given");
  }
  std::vector<ParsedFile> parsed;
  std::string currentContext;
  for (const KubeconfigFile& file : files) {
    ParsedFile entry{file.path, {}};
    try {
      entry.root = YAML::Load(file.text);
    } catch (const YAML::Exception& error) {
      throw KubeConfigError(sourceOf(file.path), "",
                            std::string("not valid YAML: ") + error.what());
    }
    if (entry.root.IsDefined() && !entry.root.IsNull() && !entry.root.IsMap()) {
      throw KubeConfigError(sourceOf(file.path), "", "not a kubeconfig (expected a map)");
    }
    if (currentContext.empty()) {
      currentContext =
          stringOr(entry.root, "current-context", sourceOf(file.path), "current-context");
    }
    parsed.push_back(std::move(entry));
  }
  const std::string allFiles =
      sourceOf(files.front().path) +
      (files.size() > 1 ? " (and " + std::to_string(files.size() - 1) + " more in KUBECONFIG)"
                        : "");

  const auto clusters = indexEntries(parsed, "clusters", "cluster");
  const auto users = indexEntries(parsed, "users", "user");
  const auto contexts = indexEntries(parsed, "contexts", "context");

  KubeconfigSelection selection;
  selection.contextName = context.empty() ? currentContext : context;
  if (selection.contextName.empty()) {
    throw KubeConfigError(allFiles, "current-context",
                          "not set: name a context (contexts: " + namesOf(contexts) + ")");
  }
  const auto contextEntry = contexts.find(selection.contextName);
  if (contextEntry == contexts.end()) {
    throw KubeConfigError(
        allFiles, context.empty() ? "current-context" : "contexts",
        "no context named \"" + selection.contextName + "\" (contexts: " + namesOf(contexts) + ")");
  }
  const ParsedFile& contextFile = parsed[contextEntry->second.file];
  const std::string contextSource = sourceOf(contextFile.path);
  const std::string prefix = "contexts[" + selection.contextName + "].context.";
  const YAML::Node& contextBody = contextEntry->second.body;
  selection.clusterName = stringOr(contextBody, "cluster", contextSource, prefix + "cluster");
  selection.userName = stringOr(contextBody, "user", contextSource, prefix + "user");
  selection.ns = stringOr(contextBody, "namespace", contextSource, prefix + "namespace");

  if (selection.clusterName.empty()) {
    throw KubeConfigError(contextSource, prefix + "cluster", "missing: name a cluster");
  }
  const auto cluster = clusters.find(selection.clusterName);
  if (cluster == clusters.end()) {
    throw KubeConfigError(
        contextSource, prefix + "cluster",
        "no cluster named \"" + selection.clusterName + "\" (clusters: " + namesOf(clusters) + ")");
  }
  readCluster(cluster->second, selection.clusterName, parsed[cluster->second.file], selection);

  if (!selection.userName.empty()) {
    const auto user = users.find(selection.userName);
    if (user == users.end()) {
      throw KubeConfigError(
          contextSource, prefix + "user",
          "no user named \"" + selection.userName + "\" (users: " + namesOf(users) + ")");
    }
    readUser(user->second, selection.userName, parsed[user->second.file], selection);
  }
  return selection;
}

ClusterConfig clusterConfigFrom(const KubeconfigSelection& selection,
                                const std::shared_ptr<Clock>& clock) {
  ClusterConfig config;
  config.server = selection.server;
  config.source = selection.clusterSource + ", context " + selection.contextName;
  if (!selection.ns.empty()) {
    config.defaultNamespace = selection.ns;
  }

  const std::string clusterPrefix = "clusters[" + selection.clusterName + "].cluster.";
  if (!selection.certificateAuthorityData.empty()) {
    config.certificateAuthorityPem = selection.certificateAuthorityData;
    checkCertificatePem(config.certificateAuthorityPem, selection.clusterSource,
                        clusterPrefix + "certificate-authority-data");
  } else if (!selection.certificateAuthorityFile.empty()) {
    config.certificateAuthorityPem =
        readWholeFile(selection.certificateAuthorityFile, selection.clusterSource,
                      clusterPrefix + "certificate-authority");
    checkCertificatePem(config.certificateAuthorityPem, selection.clusterSource,
                        clusterPrefix + "certificate-authority (" +
                            selection.certificateAuthorityFile.string() + ")");
  }

  const std::string userPrefix = "users[" + selection.userName + "].user.";
  if (!selection.clientCertificateData.empty() || !selection.clientCertificateFile.empty()) {
    std::string certificateField = userPrefix + "client-certificate-data";
    if (selection.clientCertificateData.empty()) {
      certificateField = userPrefix + "client-certificate";
      config.clientCertificatePem =
          readWholeFile(selection.clientCertificateFile, selection.userSource, certificateField);
    } else {
      config.clientCertificatePem = selection.clientCertificateData;
    }
    std::string keyField = userPrefix + "client-key-data";
    if (selection.clientKeyData.empty()) {
      keyField = userPrefix + "client-key";
      config.clientKeyPem = readWholeFile(selection.clientKeyFile, selection.userSource, keyField);
    } else {
      config.clientKeyPem = selection.clientKeyData;
    }
    checkCertificatePem(config.clientCertificatePem, selection.userSource, certificateField);
    checkPrivateKeyPem(config.clientKeyPem, config.clientCertificatePem, selection.userSource,
                       keyField);
  }

  if (!selection.tokenFile.empty()) {
    auto token = std::make_shared<FileTokenSource>(selection.tokenFile, selection.userSource,
                                                   userPrefix + "tokenFile", clock);
    token->token();  // fails now, naming the field, if the file cannot be read
    config.token = std::move(token);
  } else if (!selection.token.empty()) {
    config.token = std::make_shared<StaticTokenSource>(
        selection.token, "token of user " + selection.userName + " in " + selection.userSource);
  }
  return config;
}

ClusterConfig loadKubeconfig(const std::vector<std::filesystem::path>& paths,
                             const std::string& context, const std::shared_ptr<Clock>& clock) {
  std::vector<KubeconfigFile> files;
  files.reserve(paths.size());
  for (const auto& path : paths) {
    files.push_back(KubeconfigFile{path, readWholeFile(path, sourceOf(path), "")});
  }
  return clusterConfigFrom(selectKubeconfigContext(files, context), clock);
}

}  // namespace tenantshift::kube
