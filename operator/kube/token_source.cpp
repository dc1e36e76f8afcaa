#include "kube/token_source.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "kube/kube_config_error.h"

namespace tenantshift::kube {

namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string readTokenFile(const std::filesystem::path& path, const std::string& source,
                          const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw KubeConfigError(source, field,
                          "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::string token = trim(std::string(std::istreambuf_iterator<char>(in), {}));
  if (token.empty()) {
    throw KubeConfigError(source, field, path.string() + " is empty");
  }
  return token;
}

StaticTokenSource::StaticTokenSource(std::string token, std::string description)
    : token_(std::move(token)), description_(std::move(description)) {}

FileTokenSource::FileTokenSource(std::filesystem::path path, std::string source, std::string field,
                                 std::shared_ptr<Clock> clock, std::chrono::seconds maxAge)
    : path_(std::move(path)),
      source_(std::move(source)),
      field_(std::move(field)),
      clock_(std::move(clock)),
      maxAge_(maxAge) {}

std::string FileTokenSource::token() {
  std::lock_guard lock(mutex_);
  if (!readAt_ || clock_->now() - *readAt_ >= maxAge_) {
    readLocked();
  }
  return token_;
}

bool FileTokenSource::refresh() {
  std::lock_guard lock(mutex_);
  readLocked();
  return true;
}

std::string FileTokenSource::description() const {
  return "token file " + path_.string();
}

void FileTokenSource::readLocked() {
  try {
    token_ = readTokenFile(path_, source_, field_);
    readAt_ = clock_->now();
  } catch (const KubeConfigError& error) {
    if (token_.empty()) {
      throw;
    }
    // Keep the token read before; try the file again on the next request.
    spdlog::warn("kube token file re-read failed, keeping the previous token: {}", error.what());
  }
}

}  // namespace tenantshift::kube
