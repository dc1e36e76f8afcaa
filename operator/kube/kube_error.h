#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace tenantshift::kube {

// The API server answered a request with an error: the HTTP status code, and the reason and
// message of the Status object it sent (metav1.Status). what() says which request failed, what
// the server said, and what to do about it.
class KubeError : public std::runtime_error {
 public:
  KubeError(std::string verb, std::string path, int code, std::string reason,
            std::string serverMessage, nlohmann::json status = nullptr);

  const std::string& verb() const { return verb_; }
  const std::string& path() const { return path_; }
  int code() const { return code_; }
  // The Status reason in CamelCase: NotFound, Conflict, AlreadyExists, Expired, Gone,
  // Forbidden, Unauthorized, Invalid, TooManyRequests, ...
  const std::string& reason() const { return reason_; }
  // The server's own words (Status.message, or the start of a body that was not a Status).
  const std::string& serverMessage() const { return serverMessage_; }
  // The whole Status object (details.causes name invalid fields), or null.
  const nlohmann::json& status() const { return status_; }

  bool isUnauthorized() const { return code_ == 401; }
  bool isForbidden() const { return code_ == 403; }
  bool isNotFound() const { return code_ == 404; }
  // 409: a stale resourceVersion, a failed precondition, an apply conflict, or AlreadyExists.
  bool isConflict() const { return code_ == 409; }
  bool isAlreadyExists() const { return code_ == 409 && reason_ == "AlreadyExists"; }
  // 410: the resourceVersion (of a watch or a list continue token) is older than the server
  // keeps; list again.
  bool isGone() const { return code_ == 410; }
  bool isInvalid() const { return code_ == 422; }
  // Worth retrying the same request later: throttled (429), or the server failed or timed out.
  bool isRetryable() const;

 private:
  std::string verb_;
  std::string path_;
  int code_;
  std::string reason_;
  std::string serverMessage_;
  nlohmann::json status_;
};

// The API server could not be reached, or the connection broke (refused, reset, timed out, TLS
// handshake refused). Always worth retrying.
class KubeConnectionError : public std::runtime_error {
 public:
  KubeConnectionError(std::string verb, std::string path, std::string server,
                      const std::string& cause);

  const std::string& verb() const { return verb_; }
  const std::string& path() const { return path_; }
  const std::string& server() const { return server_; }

 private:
  std::string verb_;
  std::string path_;
  std::string server_;
};

// A request given a stop token ended because stop was requested.
class KubeCancelled : public std::runtime_error {
 public:
  KubeCancelled(const std::string& verb, const std::string& path)
      : std::runtime_error(verb + " " + path + ": cancelled (stop requested)") {}
};

// The error for an HTTP response of `httpStatus` with `body` (a Status object, or anything else
// a proxy might send).
KubeError errorFromResponse(const std::string& verb, const std::string& path, int httpStatus,
                            const std::string& body);

// The error a watch stream's ERROR event carries (its object is a Status; 410 Expired when the
// watch's resourceVersion is too old).
KubeError errorFromStatus(const std::string& verb, const std::string& path,
                          const nlohmann::json& status);

}  // namespace tenantshift::kube
