// Records the backfill throttle's latency probe against a real database: the same
// analysis::SqlLatencyProbe and analysis::ProbeSampler the backfill uses, every `interval`, for
// `seconds` of wall time; prints one line per sample, "offset_ms latency_ms failed" (offset: when
// the sample finished, from the first sample's start), after a first line "# started_at_epoch_ms
// N". bench/probe-series/run drives it (the load, the degradation, the data file).
//
//   probe_series_recorder URL ROLE SQL SECONDS [INTERVAL_MS]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "analysis/clock.h"
#include "analysis/probe_sampler.h"
#include "analysis/sql_latency_probe.h"
#include "db/connection.h"

namespace {

using namespace std::chrono_literals;
using tenantshift::analysis::millisBetween;

int record(const std::string& url, const std::string& role, const std::string& sql,
           std::chrono::seconds duration, std::chrono::milliseconds interval) {
  const tenantshift::analysis::SteadyClock clock;
  const auto capacity = static_cast<std::size_t>(duration / interval) + 1000;
  const auto startedAt = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  const auto start = clock.now();
  std::vector<tenantshift::analysis::LatencySample> samples;
  {
    tenantshift::analysis::ProbeSampler sampler(
        std::make_unique<tenantshift::analysis::SqlLatencyProbe>(
            [url] { return tenantshift::db::connect(url); }, role, sql, std::nullopt, 1000ms,
            clock),
        interval, capacity, clock);
    // A recording of `duration` of wall time, however many samples a loaded machine takes in it.
    std::this_thread::sleep_for(duration);
    samples = sampler.newest(capacity);
  }
  std::printf("# started_at_epoch_ms %lld\n", static_cast<long long>(startedAt.count()));
  for (const auto& sample : samples) {
    std::printf("%.1f %.3f %d\n", millisBetween(start, sample.finishedAt), sample.millis,
                sample.failed ? 1 : 0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: probe_series_recorder URL ROLE SQL SECONDS [INTERVAL_MS]\n");
    return 2;
  }
  try {
    return record(argv[1], argv[2], argv[3], std::chrono::seconds(std::atoi(argv[4])),
                  std::chrono::milliseconds(argc > 5 ? std::atoi(argv[5]) : 20));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "probe_series_recorder: %s\n", error.what());
    return 1;
  }
}
