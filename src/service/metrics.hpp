// The service's Prometheus metrics (text exposition format 0.0.4): counters and the start-time
// histogram fed by the orchestrator's observer, the rest read at scrape time. Names carry their
// unit, counters end in _total, labels stay few (state, source kind, outcome; per broadcast
// only what a node holds: its broadcasts' media). No label ever holds a secret.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>

#include "orchestrator/orchestrator.hpp"
#include "queue/queue.hpp"
#include "service/admission.hpp"
#include "worker/worker.hpp"

namespace su::service {

// What a scrape reads, besides the counters.
struct MetricsSnapshot {
  std::vector<model::BroadcastResult> broadcasts;
  orchestrator::AggregateHealth health;
  std::optional<queue::QueueStats> queue;
  std::optional<worker::WorkerStats> worker;
  AdmissionPolicy admission;
};

class ServiceMetrics {
 public:
  // From the orchestrator's observer.
  void onState(model::RunState state);
  void onMetric(const std::string& name, double value);
  // The autoscaling signal's figure (service/autoscale.hpp).
  void setDesiredWorkers(int workers) { desiredWorkers_ = workers; }

  std::string render(const MetricsSnapshot& snapshot) const;

 private:
  static constexpr std::array<double, 9> kStartBuckets{0.5, 1, 2, 3, 5, 10, 20, 30, 60};
  std::array<std::uint64_t, kStartBuckets.size()> startBuckets_{};
  std::uint64_t startCount_ = 0;
  double startSumSeconds_ = 0;
  std::uint64_t relayRestarts_ = 0;
  std::uint64_t forwardRestarts_ = 0;
  std::uint64_t failures_ = 0;
  std::optional<int> desiredWorkers_;
};

}  // namespace su::service
