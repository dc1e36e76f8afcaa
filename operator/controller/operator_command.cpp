#include "controller/operator_command.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <stop_token>
#include <thread>

#include "controller/migration_database.h"
#include "controller/phase_job.h"
#include "controller/reconciler.h"
#include "controller/work_queue.h"
#include "kube/clock.h"
#include "kube/config_loader.h"
#include "kube/cpprest_kube_client.h"
#include "kube/informer.h"
#include "kube/kube_config_error.h"
#include "kube/kube_error.h"
#include "kube/random_source.h"
#include "kube/resource.h"

namespace tenantshift::controller {

namespace {

class FlagError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OperatorFlags {
  std::optional<std::filesystem::path> kubeconfig;
  std::string context;
  std::string ns;  // "" = all namespaces
  std::string image;
  int workers = 2;
  bool help = false;
};

OperatorFlags parseFlags(const std::vector<std::string>& args) {
  OperatorFlags flags;
  if (const char* image = std::getenv("TENANTSHIFT_IMAGE")) {
    flags.image = image;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        throw FlagError(arg + " needs a value");
      }
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else if (arg == "--kubeconfig") {
      flags.kubeconfig = value();
    } else if (arg == "--context") {
      flags.context = value();
    } else if (arg == "--namespace" || arg == "-n") {
      flags.ns = value();
    } else if (arg == "--all-namespaces" || arg == "-A") {
      flags.ns.clear();
    } else if (arg == "--image") {
      flags.image = value();
    } else if (arg == "--workers") {
      const std::string text = value();
      try {
        flags.workers = std::stoi(text);
      } catch (const std::exception&) {
        flags.workers = 0;
      }
      if (flags.workers < 1 || flags.workers > 64) {
        throw FlagError("--workers must be a number from 1 to 64, not \"" + text + "\"");
      }
    } else {
      throw FlagError("unknown flag \"" + arg + "\" (see tenantshift operator --help)");
    }
  }
  if (!flags.help && flags.image.empty()) {
    throw FlagError(
        "--image is required (or TENANTSHIFT_IMAGE): the tenantshift image the phase Jobs run");
  }
  return flags;
}

// Queues the TenantMigration an object belongs to: itself, or the owner named by its label.
class EnqueueOwner final : public kube::InformerListener {
 public:
  EnqueueOwner(WorkQueue& queue, bool owned) : queue_(queue), owned_(owned) {}
  void onAdd(const nlohmann::json& object) override { enqueue(object); }
  void onUpdate(const nlohmann::json&, const nlohmann::json& after) override { enqueue(after); }
  void onDelete(const nlohmann::json& object) override { enqueue(object); }

 private:
  void enqueue(const nlohmann::json& object) {
    const auto& metadata = object.value("metadata", nlohmann::json::object());
    const std::string ns = metadata.value("namespace", "");
    if (!owned_) {
      queue_.add(kube::objectKey(object));
      return;
    }
    const auto labels = metadata.value("labels", nlohmann::json::object());
    if (const auto it = labels.find(kMigrationLabel); it != labels.end() && it->is_string()) {
      queue_.add(kube::objectKey(ns, it->get<std::string>()));
    }
  }
  WorkQueue& queue_;
  bool owned_;
};

std::string newReconcileId() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t start = std::random_device{}();
  std::ostringstream out;
  out << std::hex << ((start << 20) ^ ++counter);
  return out.str();
}

void work(WorkQueue& queue, Reconciler& reconciler, const std::stop_token& stop) {
  while (auto key = queue.get(stop)) {
    const std::string id = newReconcileId();
    const auto slash = key->find('/');
    const std::string ns = key->substr(0, slash);
    const std::string name = key->substr(slash + 1);
    try {
      const ReconcileResult result = reconciler.reconcile(ns, name, id);
      queue.forget(*key);
      if (result.requeueAfter && !result.gone) {
        queue.addAfter(*key, *result.requeueAfter);
      }
    } catch (const std::exception& error) {
      spdlog::warn("reconcile={} key={} failed (retry {}): {}", id, *key, queue.failures(*key) + 1,
                   error.what());
      queue.addRateLimited(*key);
    }
    queue.done(*key);
  }
}

// Blocks SIGTERM and SIGINT in every thread; one thread waits for them and requests the stop.
class SignalStop {
 public:
  SignalStop() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  ~SignalStop() { pthread_sigmask(SIG_UNBLOCK, &set_, nullptr); }
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;

  // Waits for the first signal.
  int wait() const {
    int signal = 0;
    sigwait(&set_, &signal);
    return signal;
  }

 private:
  sigset_t set_{};
};

int operate(const OperatorFlags& flags) {
  SignalStop signals;  // before any thread starts, so that every thread inherits the mask
  kube::ConfigRequest request;
  request.kubeconfig = flags.kubeconfig;
  request.context = flags.context;
  kube::CpprestKubeClient client(kube::loadClusterConfig(request));
  spdlog::info("operator starting cluster=\"{}\" namespace={} image={} workers={}",
               client.config().source, flags.ns.empty() ? "(all)" : flags.ns, flags.image,
               flags.workers);

  WorkQueue queue;
  kube::SteadyClock clock;
  kube::StdRandomSource random;
  EnqueueOwner migrations(queue, false);
  EnqueueOwner owned(queue, true);
  kube::ReflectorOptions migrationOptions;
  migrationOptions.collection = {kube::resources::tenantMigrations(), flags.ns, "", ""};
  kube::ReflectorOptions jobOptions;
  jobOptions.collection = {kube::resources::jobs(), flags.ns, "", ""};
  jobOptions.labelSelector = std::string(kManagedByLabel) + "=" + kManagedBy;
  kube::Informer migrationInformer(client, migrationOptions, clock, random, &migrations);
  kube::Informer jobInformer(client, jobOptions, clock, random, &owned);
  migrationInformer.start();
  jobInformer.start();

  EngineMigrationDatabase database;
  ReconcilerOptions options;
  options.image = flags.image;
  if (const char* pod = std::getenv("POD_NAME")) {
    options.instance = pod;
  }
  Reconciler reconciler(client, database, options);
  std::vector<std::jthread> workers;
  workers.reserve(static_cast<std::size_t>(flags.workers));
  for (int i = 0; i < flags.workers; ++i) {
    workers.emplace_back([&](const std::stop_token& stop) { work(queue, reconciler, stop); });
  }
  spdlog::info("operator running");
  const int signal = signals.wait();
  spdlog::info("operator stopping signal={}: reconciles in flight finish first", signal);
  queue.shutdown();
  for (auto& worker : workers) {
    worker.request_stop();
  }
  workers.clear();
  migrationInformer.stop();
  jobInformer.stop();
  spdlog::info("operator stopped");
  return 0;
}

}  // namespace

std::string operatorHelp() {
  return R"(Usage: tenantshift operator --image IMAGE [flags]

Watches TenantMigration objects and drives each conversion through its phases (schema, backfill,
constraints, rls, verify, flag) as Kubernetes Jobs running IMAGE (`tenantshift phase NAME`),
recording progress and conditions (Ready, Reconciling, Stalled and one per phase) in the
object's status. The database URL comes from the Secret in spec.database.urlSecretRef, which its
owner must label tenantshift.dev/database=true. Stops on SIGTERM or SIGINT.

Flags:
  --image IMAGE        the tenantshift image of the phase Jobs (or $TENANTSHIFT_IMAGE); required
  --kubeconfig PATH    kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --context NAME       kubeconfig context (default: its current-context)
  --namespace NS, -n   watch only this namespace (default: all namespaces)
  --workers N          reconciles at once, one per TenantMigration at a time (default 2)
  --help               this text
)";
}

int runOperator(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  OperatorFlags flags;
  try {
    flags = parseFlags(args);
  } catch (const FlagError& error) {
    err << "tenantshift operator: " << error.what() << "\n";
    return 2;
  }
  if (flags.help) {
    out << operatorHelp();
    return 0;
  }
  try {
    return operate(flags);
  } catch (const kube::KubeConfigError& error) {
    err << "tenantshift operator: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    err << "tenantshift operator: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace tenantshift::controller
