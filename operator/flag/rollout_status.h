#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tenantshift::flag {

// Where a Deployment's rollout is, decided from the Deployment alone (metadata.generation, spec
// and status) as `kubectl rollout status` decides it.
struct RolloutStatus {
  enum class State {
    Waiting,   // not complete yet
    Complete,  // every replica runs the current template and is available; none of an old one
    Failed,    // it cannot complete without someone's help (progress deadline, paused)
  };
  State state = State::Waiting;
  // What it waits for, or why it failed, or that it is complete: "1 of 2 updated replicas are
  // available".
  std::string message;

  bool complete() const { return state == State::Complete; }
  bool failed() const { return state == State::Failed; }
};

// Complete when the controller has seen the latest spec (status.observedGeneration >=
// metadata.generation) and status.updatedReplicas, status.replicas and status.availableReplicas
// all equal spec.replicas (1 when not set): every pod runs the new template, is available, and
// no pod of an old ReplicaSet is left. Failed when the Deployment's Progressing condition says
// ProgressDeadlineExceeded, or when it is paused (spec.paused: nothing would roll out).
RolloutStatus rolloutStatus(const nlohmann::json& deployment);

}  // namespace tenantshift::flag
