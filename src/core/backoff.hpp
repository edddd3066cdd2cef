// Jittered exponential backoff and a restart budget, shared by the relay supervisor and every
// reconnect loop. Pure: randomness and time come in from the caller, so tests are exact.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>

#include "core/result.hpp"

namespace su {

enum class BackoffError { InvalidPolicy = 1 };
GQuark errorDomainOf(BackoffError);

using Milliseconds = std::chrono::milliseconds;

struct BackoffPolicy {
  Milliseconds initial{500};
  Milliseconds max{30'000};
  double multiplier = 2.0;
  // Each delay is shortened by up to this fraction at random, so that many clients that failed
  // together do not retry together; the cap `max` is never exceeded.
  double jitter = 0.2;

  Result<void> validate() const;
};

// The delay before retry number `attempt` (0 = the first retry):
// min(max, initial * multiplier^attempt) * (1 - jitter * unitRandom), unitRandom in [0, 1).
Milliseconds backoffDelay(const BackoffPolicy& policy, unsigned attempt, double unitRandom);

class Backoff {
 public:
  // Draws a number in [0, 1); the default is a per-instance Mersenne twister seeded at random.
  using RandomSource = std::function<double()>;

  static Result<Backoff> create(BackoffPolicy policy, RandomSource random = {});

  // The delay before the next attempt; each call moves one attempt on.
  Milliseconds next();
  // After a success: the next delay starts from `initial` again.
  void reset() noexcept { attempt_ = 0; }
  unsigned attempts() const noexcept { return attempt_; }
  const BackoffPolicy& policy() const noexcept { return policy_; }

 private:
  Backoff(BackoffPolicy policy, RandomSource random);
  BackoffPolicy policy_;
  RandomSource random_;
  unsigned attempt_ = 0;
};

struct RestartBudgetPolicy {
  unsigned maxRestarts = 5;
  Milliseconds window{60'000};

  Result<void> validate() const;
};

// At most `maxRestarts` restarts within any sliding `window`.
class RestartBudget {
 public:
  using Clock = std::chrono::steady_clock;

  static Result<RestartBudget> create(RestartBudgetPolicy policy);

  // Records a restart at `now` and returns true, or returns false when the budget is spent.
  bool tryConsume(Clock::time_point now);
  // Restarts counted within the window ending at `now`.
  unsigned used(Clock::time_point now);
  void reset() noexcept { restarts_.clear(); }

 private:
  explicit RestartBudget(RestartBudgetPolicy policy) : policy_(policy) {}
  void forgetBefore(Clock::time_point now);
  RestartBudgetPolicy policy_;
  std::deque<Clock::time_point> restarts_;
};

// Backoff and budget together: the answer to "should this fail again be retried, and when?".
class RestartPolicy {
 public:
  static Result<RestartPolicy> create(BackoffPolicy backoff, RestartBudgetPolicy budget,
                                      Backoff::RandomSource random = {});

  // The delay before restarting, or nothing when the budget is spent (give up: failed).
  std::optional<Milliseconds> nextRestart(RestartBudget::Clock::time_point now);
  // The relay or connection has been healthy again: delays start small, the budget stays.
  void noteHealthy() noexcept { backoff_.reset(); }

 private:
  RestartPolicy(Backoff backoff, RestartBudget budget)
      : backoff_(std::move(backoff)), budget_(std::move(budget)) {}
  Backoff backoff_;
  RestartBudget budget_;
};

}  // namespace su
