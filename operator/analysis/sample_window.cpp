#include "analysis/sample_window.h"

#include <algorithm>
#include <stdexcept>

namespace tenantshift::analysis {

SampleWindow::SampleWindow(std::size_t capacity) : capacity_(capacity) {
  if (capacity_ == 0) {
    throw std::invalid_argument("SampleWindow: capacity must be at least 1");
  }
}

void SampleWindow::add(const LatencySample& sample) {
  samples_.push_back(sample);
  ++added_;
  while (samples_.size() > capacity_) {
    samples_.pop_front();
  }
}

std::vector<LatencySample> SampleWindow::since(TimePoint after, std::size_t limit) const {
  std::vector<LatencySample> out;
  for (auto it = samples_.rbegin(); it != samples_.rend() && out.size() < limit; ++it) {
    if (it->finishedAt <= after) {
      break;  // samples finish in order: everything older is older still
    }
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<LatencySample> SampleWindow::newest(std::size_t limit) const {
  const std::size_t count = std::min(limit, samples_.size());
  return {samples_.end() - static_cast<std::ptrdiff_t>(count), samples_.end()};
}

std::vector<double> millisOf(const std::vector<LatencySample>& samples) {
  std::vector<double> out;
  out.reserve(samples.size());
  for (const auto& sample : samples) {
    out.push_back(sample.millis);
  }
  return out;
}

}  // namespace tenantshift::analysis
