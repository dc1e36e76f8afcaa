#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kube/clock.h"

namespace tenantshift::kube {

// Where the bearer token of requests comes from.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The token to send now.
  virtual std::string token() = 0;
  // The API server refused the token (401): read it again. True when the source can change
  // (a file), so that retrying the request once may help.
  virtual bool refresh() = 0;
  // For messages: "token of user admin", "token file /var/run/.../token".
  virtual std::string description() const = 0;
};

// A token given in the kubeconfig itself.
class StaticTokenSource final : public TokenSource {
 public:
  StaticTokenSource(std::string token, std::string description);
  std::string token() override { return token_; }
  bool refresh() override { return false; }
  std::string description() const override { return description_; }

 private:
  std::string token_;
  std::string description_;
};

// A token file (a kubeconfig's tokenFile, or the service account token the kubelet rotates:
// bound tokens expire). Read on first use, again when the last read is older than maxAge, and
// on refresh(). When a re-read fails the previous token is kept (the kubelet replaces the file
// atomically, so that is transient); the first read failing throws KubeConfigError.
class FileTokenSource final : public TokenSource {
 public:
  static constexpr std::chrono::seconds kDefaultMaxAge{60};

  // source and field name the setting that gave the path, for messages.
  FileTokenSource(std::filesystem::path path, std::string source, std::string field,
                  std::shared_ptr<Clock> clock, std::chrono::seconds maxAge = kDefaultMaxAge);
  std::string token() override;
  bool refresh() override;
  std::string description() const override;

 private:
  void readLocked();

  std::filesystem::path path_;
  std::string source_;
  std::string field_;
  std::shared_ptr<Clock> clock_;
  std::chrono::seconds maxAge_;
  std::mutex mutex_;
  std::string token_;                       // guarded by mutex_
  std::optional<Clock::TimePoint> readAt_;  // guarded by mutex_
};

// The trimmed contents of a token file; throws KubeConfigError (naming `field` of `source`)
// when it cannot be read or is empty.
std::string readTokenFile(const std::filesystem::path& path, const std::string& source,
                          const std::string& field);

}  // namespace tenantshift::kube
