#include "service/autoscale.hpp"

#include <algorithm>

namespace su::service {

int desiredWorkers(const AutoscalePolicy& policy, std::int64_t lag) {
  const std::int64_t target = std::max<std::int64_t>(1, policy.targetLagPerWorker);
  const std::int64_t needed = (std::max<std::int64_t>(0, lag) + target - 1) / target;
  return static_cast<int>(std::clamp<std::int64_t>(needed, policy.minWorkers,
                                                   std::max(policy.minWorkers, policy.maxWorkers)));
}

Autoscaler::Decision Autoscaler::tick(std::int64_t lag, std::int64_t nowMs) {
  Decision decision{.desired = desiredWorkers(policy_, lag)};
  desired_ = decision.desired;
  const bool changed = requested_ != decision.desired;
  const bool cooled = !requested_ || nowMs - requestedAtMs_ >= policy_.cooldown.count();
  if (changed && cooled) {
    decision.request = true;
    requested_ = decision.desired;
    requestedAtMs_ = nowMs;
  }
  return decision;
}

}  // namespace su::service
