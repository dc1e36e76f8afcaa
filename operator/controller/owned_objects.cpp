#include "controller/owned_objects.h"

#include <algorithm>

#include "controller/json_fields.h"
#include "controller/phase_job.h"

namespace tenantshift::controller {

namespace {

// The elements of a list, or none when it is not one.
const nlohmann::json& items(const nlohmann::json& list) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return list.is_array() ? list : kEmpty;
}

std::optional<TerminationSummary> summaryOf(const std::string& message) {
  if (message.empty()) {
    return std::nullopt;
  }
  TerminationSummary summary;
  try {
    const nlohmann::json j = nlohmann::json::parse(message);
    summary.outcome = j.value("outcome", "");
    summary.exitCode = j.value("exitCode", 0);
    summary.message = j.value("message", "");
  } catch (const nlohmann::json::exception&) {
    // FallbackToLogsOnError: the log's tail, not our summary.
    summary.message = message.substr(message.size() > 400 ? message.size() - 400 : 0);
  }
  return summary;
}

// The newest terminated container's message among the Job's pods.
std::string terminationMessage(const std::vector<kube::ObjectPtr>& pods, const std::string& job) {
  std::string newest;
  std::string message;
  for (const kube::ObjectPtr& pod : pods) {
    if (jsonText(jsonAt(*pod, {"metadata", "labels", "job-name"})) != job) {
      continue;
    }
    for (const auto& container : items(jsonAt(*pod, {"status", "containerStatuses"}))) {
      const nlohmann::json& terminated = jsonAt(container, {"state", "terminated"});
      const std::string finished = jsonText(jsonAt(terminated, {"finishedAt"}));
      if (!terminated.is_null() && finished >= newest) {
        newest = finished;
        message = jsonText(jsonAt(terminated, {"message"}));
      }
    }
  }
  return message;
}

std::int64_t secondsSince(const std::string& time, WallClock::TimePoint now) {
  const auto then = parseRfc3339(time);
  if (!then || *then >= now) {
    return 0;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(now - *then).count();
}

}  // namespace

std::vector<kube::ObjectPtr> ownedBy(const std::vector<kube::ObjectPtr>& objects,
                                     const std::string& migration) {
  std::vector<kube::ObjectPtr> owned;
  std::copy_if(
      objects.begin(), objects.end(), std::back_inserter(owned),
      [&](const kube::ObjectPtr& object) {
        return jsonText(jsonAt(*object, {"metadata", "labels", kMigrationLabel})) == migration;
      });
  return owned;
}

ObservedJob observeJob(const nlohmann::json& job, const std::vector<kube::ObjectPtr>& pods,
                       WallClock::TimePoint now) {
  ObservedJob out;
  out.name = jsonText(jsonAt(job, {"metadata", "name"}));
  out.phase = plan::phaseFromString(jsonText(jsonAt(job, {"metadata", "labels", kPhaseLabel})));
  try {
    out.generation = std::stoll(jsonText(jsonAt(job, {"metadata", "labels", kGenerationLabel})));
  } catch (const std::exception&) {
    out.generation = 0;
  }
  out.deleting = !jsonAt(job, {"metadata", "deletionTimestamp"}).is_null();
  for (const auto& condition : items(jsonAt(job, {"status", "conditions"}))) {
    if (jsonText(jsonAt(condition, {"status"})) != "True") {
      continue;
    }
    const std::string type = jsonText(jsonAt(condition, {"type"}));
    if (type == "Complete") {
      out.state = JobState::Succeeded;
    } else if (type == "Failed") {
      out.state = JobState::Failed;
      out.failure =
          jsonText(jsonAt(condition, {"reason"})) + ": " + jsonText(jsonAt(condition, {"message"}));
    } else {
      continue;
    }
    out.finishedSecondsAgo = secondsSince(jsonText(jsonAt(condition, {"lastTransitionTime"})), now);
  }
  if (out.state == JobState::Failed) {
    out.summary = summaryOf(terminationMessage(pods, out.name));
  }
  return out;
}

std::vector<std::string> livePods(const std::vector<kube::ObjectPtr>& pods) {
  std::vector<std::string> live;
  for (const kube::ObjectPtr& pod : pods) {
    const std::string phase = jsonText(jsonAt(*pod, {"status", "phase"}));
    if (phase != "Succeeded" && phase != "Failed") {
      live.push_back(jsonText(jsonAt(*pod, {"metadata", "name"})));
    }
  }
  return live;
}

bool ownedByUid(const nlohmann::json& object, const std::string& uid) {
  const nlohmann::json& owners = jsonAt(object, {"metadata", "ownerReferences"});
  if (!owners.is_array() || uid.empty()) {
    return false;
  }
  return std::any_of(owners.begin(), owners.end(), [&](const nlohmann::json& owner) {
    return jsonText(jsonAt(owner, {"uid"})) == uid;
  });
}

}  // namespace tenantshift::controller
