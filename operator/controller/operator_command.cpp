#include "controller/operator_command.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <stop_token>
#include <thread>

#include "controller/enqueue.h"
#include "controller/leader_elector.h"
#include "controller/lease_lock.h"
#include "controller/malloc_arenas.h"
#include "controller/migration_database.h"
#include "controller/phase_job.h"
#include "controller/reconciler.h"
#include "controller/wall_clock.h"
#include "controller/work_queue.h"
#include "kube/clock.h"
#include "kube/config_loader.h"
#include "kube/cpprest_kube_client.h"
#include "kube/http_threads.h"
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
  bool leaderElect = false;
  std::string leaderElectionNamespace;  // "" = $POD_NAMESPACE, else --namespace
  std::string leaderElectionId = "tenantshift-operator";
  spdlog::level::level_enum logLevel = spdlog::level::info;
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
    } else if (arg == "--leader-elect") {
      flags.leaderElect = true;
    } else if (arg == "--leader-election-namespace") {
      flags.leaderElectionNamespace = value();
    } else if (arg == "--leader-election-id") {
      flags.leaderElectionId = value();
    } else if (arg == "--log-level") {
      const std::string text = value();
      flags.logLevel = spdlog::level::from_str(text);
      if (flags.logLevel == spdlog::level::off && text != "off") {
        throw FlagError("--log-level must be trace, debug, info, warn, error or off, not \"" +
                        text + "\"");
      }
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
  if (flags.help) {
    return flags;
  }
  if (flags.image.empty()) {
    throw FlagError(
        "--image is required (or TENANTSHIFT_IMAGE): the tenantshift image the phase Jobs run");
  }
  if (flags.leaderElect && flags.leaderElectionNamespace.empty()) {
    if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != '\0') {
      flags.leaderElectionNamespace = ns;
    } else if (!flags.ns.empty()) {
      flags.leaderElectionNamespace = flags.ns;
    } else {
      throw FlagError(
          "--leader-elect needs --leader-election-namespace (or $POD_NAMESPACE, or --namespace): "
          "where the Lease the replicas elect their leader with lives");
    }
  }
  return flags;
}

// The malloc arenas all the operator's threads share. Its allocations are small and brief
// (replies, cached objects, plans) and its threads wait on the network and the databases far
// longer than on an arena's lock, so one is enough: idle with 100 migrations it held 0.7 MiB less
// than 2 and about 3 MiB less than glibc's default (8 per core, letting every thread keep freed
// memory of its own), and reconciled no slower (BENCHMARKS.md, issue 9).
constexpr int kMallocArenas = 1;

std::string newReconcileId() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t start = std::random_device{}();
  std::ostringstream out;
  out << std::hex << ((start << 20) ^ ++counter);
  return out.str();
}

// The burst of reconciles is over: what its plans, catalogs and replies took is free, and the
// arenas would keep it until the next burst.
void returnFreeMemoryOnceIdle() {
  const auto start = std::chrono::steady_clock::now();
  returnFreeMemory();
  spdlog::debug("work queue idle: free memory returned us={}",
                std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count());
}

void work(WorkQueue& queue, Reconciler& reconciler, const std::stop_token& stop) {
  while (auto key = queue.get(stop)) {
    const std::string id = newReconcileId();
    const auto slash = key->find('/');
    const std::string ns = key->substr(0, slash);
    const std::string name = key->substr(slash + 1);
    const auto start = std::chrono::steady_clock::now();
    try {
      const ReconcileResult result = reconciler.reconcile(ns, name, id);
      spdlog::debug("reconcile={} key={} done ms={} requeue_after_s={}", id, *key,
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count(),
                    result.requeueAfter && !result.gone ? result.requeueAfter->count() : 0);
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
    if (queue.idle()) {
      returnFreeMemoryOnceIdle();
    }
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

  // Waits for a signal at most `timeout`: the signal, or nullopt.
  std::optional<int> waitFor(std::chrono::milliseconds timeout) const {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const timespec wait{static_cast<time_t>(seconds.count()),
                        static_cast<long>((timeout - seconds).count()) * 1000000L};
    const int signal = sigtimedwait(&set_, nullptr, &wait);
    if (signal < 0) {
      return std::nullopt;
    }
    return signal;
  }

 private:
  sigset_t set_{};
};

// This replica's name in the Lease: the pod's name (unique in its namespace), else the host's,
// with a random suffix so that two processes on one host differ.
std::string candidateIdentity() {
  std::string base;
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    base = pod;
  } else {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    base = host;
  }
  std::ostringstream suffix;
  suffix << std::hex << std::random_device{}();
  return base + "_" + suffix.str();
}

// The informers the reconciler reads: TenantMigrations, and the Jobs, pods and ConfigMaps the
// operator made (by their managed-by label). Each change queues the migration it concerns.
class Caches {
 public:
  static constexpr std::size_t kInformers = 4;

  Caches(kube::KubeClient& client, const std::string& ns, WorkQueue& queue, kube::Clock& clock,
         kube::RandomSource& random)
      : migrationEvents_(queue),
        ownerEvents_(queue),
        migrations_(client, options(kube::resources::tenantMigrations(), ns, false), clock, random,
                    &migrationEvents_),
        jobs_(client, options(kube::resources::jobs(), ns, true), clock, random, &ownerEvents_),
        pods_(client, options(kube::resources::pods(), ns, true), clock, random, &ownerEvents_),
        configMaps_(client, options(kube::resources::configMaps(), ns, true), clock, random,
                    &ownerEvents_) {
    migrationEvents_.bind(migrations_.cache());
  }

  void start() {
    for (kube::Informer* informer : all()) {
      informer->start();
    }
  }
  // Waits for every first list; false (naming the one missing) after `timeout`.
  bool waitForSync(std::chrono::seconds timeout) {
    const std::array<const char*, kInformers> names = {"tenantmigrations", "jobs", "pods",
                                                       "configmaps"};
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!all()[i]->waitForSync(timeout)) {
        spdlog::error(
            "the {} informer did not list in {}s: can the operator's service account "
            "list and watch them (see the chart's RBAC)?",
            names[i], timeout.count());
        return false;
      }
    }
    return true;
  }
  void stop() {
    for (kube::Informer* informer : all()) {
      informer->stop();
    }
  }
  ReconcilerCaches view() const {
    return {migrations_.cache(), jobs_.cache(), pods_.cache(), configMaps_.cache()};
  }

 private:
  static kube::ReflectorOptions options(const kube::ResourceType& type, const std::string& ns,
                                        bool owned) {
    kube::ReflectorOptions options;
    options.collection = {type, ns, "", ""};
    if (owned) {
      options.labelSelector = std::string(kManagedByLabel) + "=" + kManagedBy;
    }
    return options;
  }
  std::array<kube::Informer*, kInformers> all() {
    return {&migrations_, &jobs_, &pods_, &configMaps_};
  }

  EnqueueMigration migrationEvents_;
  EnqueueOwner ownerEvents_;
  kube::Informer migrations_;
  kube::Informer jobs_;
  kube::Informer pods_;
  kube::Informer configMaps_;
};

// The size of cpprestsdk's thread pool, which does the network I/O of the API requests. Every
// wait for a reply is in one of the operator's own threads (an informer's, a reconcile worker's,
// the leader election's), never in the pool, so a pool thread is busy only while it handles what
// arrived on a connection. One per connection that can be open at once is then always enough,
// with none waiting for another: the informers' watches (one each, always open), one request at a
// time per reconcile worker, and the leader election's. cpprestsdk starts 40 unless told, each
// with a stack and, up to glibc's limit of arenas, a malloc arena of its own.
std::size_t httpThreadsFor(int workers) {
  return Caches::kInformers + static_cast<std::size_t>(workers) + 1;
}

// The reconcile workers: started once this replica may act, stopped (in-flight reconciles
// finish first) before it gives leadership up.
class Workers {
 public:
  Workers(WorkQueue& queue, Reconciler& reconciler) : queue_(queue), reconciler_(reconciler) {}
  ~Workers() { stop(); }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void start(int count) {
    threads_.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back(
          [this](const std::stop_token& stop) { work(queue_, reconciler_, stop); });
    }
    spdlog::info("operator reconciling workers={}", count);
  }
  void stop() {
    queue_.shutdown();
    for (auto& thread : threads_) {
      thread.request_stop();
    }
    threads_.clear();
  }

 private:
  WorkQueue& queue_;
  Reconciler& reconciler_;
  std::vector<std::jthread> threads_;
};

int operate(const OperatorFlags& flags) {
  SignalStop signals;  // before any thread starts, so that every thread inherits the mask
  limitMallocArenas(kMallocArenas);
  kube::useHttpThreads(httpThreadsFor(flags.workers));
  kube::ConfigRequest request;
  request.kubeconfig = flags.kubeconfig;
  request.context = flags.context;
  kube::CpprestKubeClient client(kube::loadClusterConfig(request));
  spdlog::info("operator starting cluster=\"{}\" namespace={} image={} workers={} leaderElect={}",
               client.config().source, flags.ns.empty() ? "(all)" : flags.ns, flags.image,
               flags.workers, flags.leaderElect);

  WorkQueue queue;
  kube::SteadyClock clock;
  kube::StdRandomSource random;
  SystemWallClock wallClock;
  Caches caches(client, flags.ns, queue, clock, random);
  caches.start();

  EngineMigrationDatabase database;
  ReconcilerOptions options;
  options.image = flags.image;
  if (const char* pod = std::getenv("POD_NAME")) {
    options.instance = pod;
  }
  Reconciler reconciler(client, caches.view(), database, wallClock, options);
  Workers workers(queue, reconciler);

  LeaseLock lease(client, flags.leaderElectionNamespace, flags.leaderElectionId);
  LeaderElector elector(lease, clock, wallClock, candidateIdentity());

  std::stop_source stopping;  // a signal, or leadership lost
  std::atomic<bool> lost{false};
  std::atomic<bool> unsynced{false};
  std::jthread control([&](const std::stop_token&) {
    const std::stop_token stop = stopping.get_token();
    if (!caches.waitForSync(std::chrono::seconds{120})) {
      unsynced = true;
      stopping.request_stop();
      return;
    }
    if (flags.leaderElect) {
      spdlog::info("leader election: candidate identity={} lease={}", elector.identity(),
                   lease.describe());
      if (!elector.acquire(stop)) {
        return;
      }
    }
    workers.start(flags.workers);
    bool stopped = true;
    if (flags.leaderElect) {
      stopped = elector.lead(stop);
    } else {
      while (clock.sleepFor(std::chrono::hours{1}, stop)) {
      }
    }
    // No reconcile may run once leadership is lost: stop them before anything else.
    workers.stop();
    if (!stopped) {
      lost = true;
      stopping.request_stop();
    } else if (flags.leaderElect) {
      elector.release();
    }
  });
  spdlog::info("operator running");
  while (!stopping.stop_requested()) {
    if (const auto signal = signals.waitFor(std::chrono::milliseconds{250})) {
      spdlog::info("operator stopping signal={}: reconciles in flight finish first", *signal);
      stopping.request_stop();
    }
  }
  control.join();
  workers.stop();
  caches.stop();
  if (lost) {
    spdlog::error(
        "operator stopped: leadership lost; exiting non-zero so that it restarts as a candidate "
        "(a Job this replica started is fenced by the ledger's runner lock)");
    return 1;
  }
  if (unsynced) {
    return 1;
  }
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
  --leader-elect       run as one of several replicas: only the holder of a Lease reconciles
                       (lease 15s, renew deadline 10s, retry 2s); a replica that loses it exits
                       with status 1 so that it restarts as a candidate
  --leader-election-namespace NS
                       the Lease's namespace (default: $POD_NAMESPACE, else --namespace)
  --leader-election-id NAME
                       the Lease's name (default tenantshift-operator)
  --log-level LEVEL    trace, debug, info, warn, error or off (default info); debug adds a line
                       per reconcile (its id, key and duration) and per API request
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
  spdlog::set_level(flags.logLevel);
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
