// The original's autoscaling signal: from the queue's lag, how many workers the fleet should
// have. The service never starts or stops nodes itself: it says so, as a `scale_request` event
// (GET /v1/events) and the `su_desired_workers` metric, for an external autoscaler (Kubernetes
// HPA, KEDA...) to act on.
#pragma once

#include <cstdint>
#include <optional>

#include "core/backoff.hpp"

namespace su::service {

struct AutoscalePolicy {
  int minWorkers = 1;
  int maxWorkers = 10;
  std::int64_t targetLagPerWorker = 5;  // jobs waiting or pending, per worker
  Milliseconds cooldown{60'000};        // between two scale requests
};

// ceil(lag / target), within [min, max].
int desiredWorkers(const AutoscalePolicy& policy, std::int64_t lag);

// Remembers what was asked last: a new request only when the figure changed and the cooldown
// since the last one has passed.
class Autoscaler {
 public:
  explicit Autoscaler(AutoscalePolicy policy) : policy_(policy) {}
  // The figure for this lag, and whether it is a request to send now (`nowMs`: monotonic).
  struct Decision {
    int desired = 0;
    bool request = false;
  };
  Decision tick(std::int64_t lag, std::int64_t nowMs);
  std::optional<int> lastDesired() const noexcept { return desired_; }
  const AutoscalePolicy& policy() const noexcept { return policy_; }

 private:
  AutoscalePolicy policy_;
  std::optional<int> requested_;
  std::optional<int> desired_;
  std::int64_t requestedAtMs_ = 0;
};

}  // namespace su::service
