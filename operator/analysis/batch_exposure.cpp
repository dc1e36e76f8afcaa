#include "analysis/batch_exposure.h"

#include <algorithm>
#include <cstdio>

namespace tenantshift::analysis {

namespace {

std::string countText(std::size_t slow, std::size_t of) {
  char out[64];
  if (of == 0) {
    std::snprintf(out, sizeof out, "0 of 0");
  } else {
    std::snprintf(out, sizeof out, "%zu of %zu (%.1f%%)", slow, of,
                  100.0 * static_cast<double>(slow) / static_cast<double>(of));
  }
  return out;
}

}  // namespace

BatchTimeline::BatchTimeline(std::size_t capacity)
    : capacity_(std::max<std::size_t>(1, capacity)) {}

void BatchTimeline::add(TimePoint start, TimePoint end) {
  batches_.push_back({start, end});
  if (batches_.size() > capacity_) {
    batches_.pop_front();
  }
}

bool BatchTimeline::beside(const LatencySample& sample) const {
  const TimePoint started =
      sample.finishedAt - std::chrono::duration_cast<TimePoint::duration>(
                              std::chrono::duration<double, std::milli>(sample.millis));
  // Newest first: a batch that ended before the sample started is as far back as it goes.
  for (auto batch = batches_.rbegin(); batch != batches_.rend(); ++batch) {
    if (batch->end < started) {
      return false;
    }
    if (batch->start <= sample.finishedAt) {
      return true;
    }
  }
  return false;
}

std::optional<BatchTimeline::Batch> BatchTimeline::newest() const {
  if (batches_.empty()) {
    return std::nullopt;
  }
  return batches_.back();
}

void BatchExposure::count(bool ranBeside, bool slow) {
  if (ranBeside) {
    ++beside;
    besideSlow += slow ? 1 : 0;
  } else {
    ++away;
    awaySlow += slow ? 1 : 0;
  }
}

void BatchExposure::halve() {
  beside /= 2;
  besideSlow /= 2;
  away /= 2;
  awaySlow /= 2;
}

std::string BatchExposure::describe() const {
  return "slow beside a batch: " + countText(besideSlow, beside) +
         ", away from batches: " + countText(awaySlow, away);
}

}  // namespace tenantshift::analysis
