#include "kube/kube_error.h"

#include <cctype>
#include <string_view>

namespace tenantshift::kube {

namespace {

constexpr std::size_t kMaxBodyInMessage = 300;

std::string defaultReason(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return code >= 500 ? "InternalError" : "Unknown";
  }
}

std::string hintFor(int code, const std::string& reason, const std::string& message) {
  if (code == 401) {
    return "the API server did not accept the credentials: check the token, token file or client "
           "certificate in the kubeconfig (or the service account token) and that it has not "
           "expired";
  }
  if (code == 403) {
    return "this identity is not allowed to do that: grant the verb on the resource in a Role or "
           "ClusterRole bound to it";
  }
  if (code == 404) {
    return "the object or the resource type does not exist (for a custom resource: is its CRD "
           "installed and established?)";
  }
  if (reason == "AlreadyExists") {
    return "an object of that name exists already: update it instead, or use another name";
  }
  if (code == 409 && message.find("Apply failed") != std::string::npos) {
    return "another field manager owns these fields: leave them out of the applied "
           "configuration, or apply with force to take them over";
  }
  if (code == 409) {
    return "the object changed since it was read (or a precondition failed): read it again and "
           "reapply the change";
  }
  if (code == 410) {
    return "the resourceVersion is older than the API server keeps: list again and continue from "
           "the new resourceVersion";
  }
  if (code == 422) {
    return "the API server found the object invalid: correct the fields it names";
  }
  if (code == 429) {
    return "the API server is throttling requests: retry later";
  }
  if (code >= 500) {
    return "the API server failed to handle the request: retry, and check the API server's health "
           "if it persists";
  }
  return "";
}

std::string composeMessage(const std::string& verb, const std::string& path, int code,
                           const std::string& reason, const std::string& serverMessage) {
  std::string text = verb + " " + path + ": " + std::to_string(code) + " " + reason;
  if (!serverMessage.empty()) {
    text += ": " + serverMessage;
  }
  const std::string hint = hintFor(code, reason, serverMessage);
  if (!hint.empty()) {
    text += " (" + hint + ")";
  }
  return text;
}

std::string trimmedStart(std::string_view body) {
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front())) != 0) {
    body.remove_prefix(1);
  }
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())) != 0) {
    body.remove_suffix(1);
  }
  if (body.size() > kMaxBodyInMessage) {
    return std::string(body.substr(0, kMaxBodyInMessage)) + "...";
  }
  return std::string(body);
}

std::string stringField(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string connectionHint(const std::string& cause) {
  if (cause.find("SSL") != std::string::npos || cause.find("handshake") != std::string::npos) {
    return "the TLS handshake failed: the server's certificate must be signed by the configured "
           "certificate authority and name the server's address, and a client certificate must "
           "be one the API server accepts";
  }
  return "check the server address and that the API server is up and reachable from here";
}

}  // namespace

KubeError::KubeError(std::string verb, std::string path, int code, std::string reason,
                     std::string serverMessage, nlohmann::json status)
    : std::runtime_error(composeMessage(verb, path, code, reason, serverMessage)),
      verb_(std::move(verb)),
      path_(std::move(path)),
      code_(code),
      reason_(std::move(reason)),
      serverMessage_(std::move(serverMessage)),
      status_(std::move(status)) {}

bool KubeError::isRetryable() const {
  return code_ == 429 || code_ == 500 || code_ == 502 || code_ == 503 || code_ == 504;
}

KubeConnectionError::KubeConnectionError(std::string verb, std::string path, std::string server,
                                         const std::string& cause)
    : std::runtime_error(verb + " " + path + ": cannot reach the Kubernetes API server at " +
                         server + ": " + cause + " (" + connectionHint(cause) + ")"),
      verb_(std::move(verb)),
      path_(std::move(path)),
      server_(std::move(server)) {}

KubeError errorFromResponse(const std::string& verb, const std::string& path, int httpStatus,
                            const std::string& body) {
  nlohmann::json status = nlohmann::json::parse(body, nullptr, false);
  if (status.is_object() && stringField(status, "kind") == "Status") {
    std::string reason = stringField(status, "reason");
    std::string message = stringField(status, "message");
    return KubeError(verb, path, httpStatus, reason.empty() ? defaultReason(httpStatus) : reason,
                     message, std::move(status));
  }
  return KubeError(verb, path, httpStatus, defaultReason(httpStatus), trimmedStart(body));
}

KubeError errorFromStatus(const std::string& verb, const std::string& path,
                          const nlohmann::json& status) {
  if (!status.is_object()) {
    return KubeError(verb, path, 500, "InternalError",
                     "the watch sent an ERROR event without a Status: " + status.dump());
  }
  const auto codeField = status.find("code");
  const int code =
      codeField != status.end() && codeField->is_number_integer() ? codeField->get<int>() : 500;
  std::string reason = stringField(status, "reason");
  return KubeError(verb, path, code, reason.empty() ? defaultReason(code) : reason,
                   stringField(status, "message"), status);
}

}  // namespace tenantshift::kube
