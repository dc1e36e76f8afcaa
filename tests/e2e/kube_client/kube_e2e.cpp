#include "kube_e2e.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <stdexcept>

#include "kube/kubeconfig.h"

namespace tenantshift::kube::e2e {

namespace {

nlohmann::json scalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") {  // quoted: always a string
    return text;
  }
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex real("[-+]?([0-9]*\\.[0-9]+|[0-9]+\\.[0-9]*)([eE][-+]?[0-9]+)?");
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  if (text == "null" || text == "~") {
    return nullptr;
  }
  if (std::regex_match(text, integer)) {
    return std::stoll(text);
  }
  if (std::regex_match(text, real)) {
    return std::stod(text);
  }
  return text;
}

nlohmann::json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) {
        array.push_back(toJson(item));
      }
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        object[entry.first.Scalar()] = toJson(entry.second);
      }
      return object;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
  }
  return nullptr;
}

bool isEstablished(const nlohmann::json& crd) {
  const auto status = crd.find("status");
  if (status == crd.end() || !status->contains("conditions")) {
    return false;
  }
  for (const auto& condition : (*status)["conditions"]) {
    if (condition.value("type", "") == "Established" && condition.value("status", "") == "True") {
      return true;
    }
  }
  return false;
}

std::string namespaceFor(const std::string& testName) {
  std::string ns = "kube-";
  for (const char c : testName) {
    if (std::isupper(static_cast<unsigned char>(c)) != 0 && ns.size() > 5) {
      ns += '-';
    }
    ns += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  ns = ns.substr(0, 50);
  std::random_device random;
  const char* const hex = "0123456789abcdef";
  ns += '-';
  for (int i = 0; i < 6; ++i) {
    ns += hex[random() % 16];
  }
  return ns;
}

}  // namespace

std::filesystem::path stateDir() {
  const char* dir = std::getenv("E2E_STATE_DIR");  // NOLINT(concurrency-mt-unsafe)
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error(
        "E2E_STATE_DIR is not set: run through ctest (tests/e2e) or source up.sh's env");
  }
  return dir;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string planeVariable(const std::string& name) {
  std::ifstream env(stateDir() / "env");
  std::string line;
  const std::string prefix = "export " + name + "='";
  while (std::getline(env, line)) {
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && line.back() == '\'') {
      return line.substr(prefix.size(), line.size() - prefix.size() - 1);
    }
  }
  throw std::runtime_error(name + " is not in " + (stateDir() / "env").string());
}

nlohmann::json yamlToJson(const std::string& yaml) {
  return toJson(YAML::Load(yaml));
}

std::unique_ptr<CpprestKubeClient> adminClient() {
  return std::make_unique<CpprestKubeClient>(
      loadKubeconfig({stateDir() / "admin.kubeconfig"}, "", std::make_shared<SteadyClock>()));
}

void awaitEstablished(KubeClient& client, const std::string& crdName) {
  const ResourceRef crd{resources::customResourceDefinitions(), "", crdName, ""};
  const nlohmann::json current = client.get(crd);
  if (isEstablished(current)) {
    return;
  }
  WatchOptions options;
  options.fieldSelector = "metadata.name=" + crdName;
  options.resourceVersion = resourceVersionOf(current);
  options.timeout = std::chrono::seconds(60);
  std::stop_source stopper;
  bool established = false;
  client.watch(
      ResourceRef{crd.type, "", "", ""}, options,
      [&](const WatchEvent& event) {
        if (isEstablished(event.object)) {
          established = true;
          stopper.request_stop();
        }
      },
      stopper.get_token());
  if (!established) {
    throw std::runtime_error("CRD " + crdName + " did not become Established within a minute");
  }
}

std::string requestToken(KubeClient& client, const std::string& ns, const std::string& account) {
  const nlohmann::json request = {{"apiVersion", "authentication.k8s.io/v1"},
                                  {"kind", "TokenRequest"},
                                  {"spec", {{"expirationSeconds", 600}}}};
  const nlohmann::json answer =
      client.create({resources::serviceAccounts(), ns, account, "token"}, request, {});
  return answer.at("status").at("token").get<std::string>();
}

void KubeE2E::SetUp() {
  admin_ = adminClient();
  ns_ = namespaceFor(::testing::UnitTest::GetInstance()->current_test_info()->name());
  admin_->create({resources::namespaces(), "", "", ""},
                 {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}}, {});
}

void KubeE2E::TearDown() {
  if (!HasFailure()) {
    admin_->remove({resources::namespaces(), "", ns_, ""}, {});
  }
}

nlohmann::json KubeE2E::newConfigMap(const std::string& name, nlohmann::json data,
                                     nlohmann::json labels) const {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns_}, {"labels", std::move(labels)}}},
          {"data", std::move(data)}};
}

void EventLog::onAdd(const nlohmann::json& object) {
  append("add " + objectKey(object));
}
void EventLog::onUpdate(const nlohmann::json&, const nlohmann::json& after) {
  append("update " + objectKey(after));
}
void EventLog::onDelete(const nlohmann::json& object) {
  append("delete " + objectKey(object));
}

void EventLog::append(std::string entry) {
  {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  changed_.notify_all();
}

bool EventLog::awaitEntry(const std::string& entry, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return std::find(entries_.begin(), entries_.end(), entry) != entries_.end();
  });
}

std::vector<std::string> EventLog::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

nlohmann::json CountingClient::list(const ResourceRef& collection, const ListOptions& options,
                                    std::stop_token stop) {
  {
    std::lock_guard lock(mutex_);
    ++lists_;
  }
  changed_.notify_all();
  return inner_.list(collection, options, std::move(stop));
}

WatchEnd CountingClient::watch(const ResourceRef& collection, const WatchOptions& options,
                               const WatchHandler& onEvent, std::stop_token stop) {
  WatchOptions actual = options;
  {
    std::lock_guard lock(mutex_);
    if (watches_.empty() && !firstWatchFrom_.empty()) {
      actual.resourceVersion = firstWatchFrom_;
    }
    watches_.push_back(actual);
  }
  changed_.notify_all();
  auto record = [this](std::string end) {
    {
      std::lock_guard lock(mutex_);
      watchEnds_.push_back(std::move(end));
    }
    changed_.notify_all();
  };
  try {
    const WatchEnd end = inner_.watch(collection, actual, onEvent, std::move(stop));
    record(end == WatchEnd::Closed ? "closed" : "stopped");
    return end;
  } catch (const std::exception& error) {
    record(error.what());
    throw;
  }
}

void CountingClient::firstWatchFrom(std::string resourceVersion) {
  std::lock_guard lock(mutex_);
  firstWatchFrom_ = std::move(resourceVersion);
}

bool CountingClient::awaitWatches(std::size_t count, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return watches_.size() >= count; });
}

std::size_t CountingClient::lists() const {
  std::lock_guard lock(mutex_);
  return lists_;
}

std::vector<WatchOptions> CountingClient::watches() const {
  std::lock_guard lock(mutex_);
  return watches_;
}

std::vector<std::string> CountingClient::watchEnds() const {
  std::lock_guard lock(mutex_);
  return watchEnds_;
}

}  // namespace tenantshift::kube::e2e
