#include "core/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>

namespace su {

GQuark errorDomainOf(BackoffError) {
  return g_quark_from_static_string("su-backoff-error");
}

namespace {

Error invalidPolicy(std::string field, std::string rule) {
  return makeError(BackoffError::InvalidPolicy, "invalid backoff policy",
                   {FieldError{std::move(field), std::move(rule)}});
}

}  // namespace

Result<void> BackoffPolicy::validate() const {
  if (initial < Milliseconds(1)) return invalidPolicy("initial", "must be at least 1 ms");
  if (max < initial) return invalidPolicy("max", "must not be less than initial");
  if (!std::isfinite(multiplier) || multiplier < 1.0) {
    return invalidPolicy("multiplier", "must be a finite number >= 1");
  }
  if (!(jitter >= 0.0 && jitter <= 1.0)) return invalidPolicy("jitter", "must be within 0..1");
  return {};
}

Milliseconds backoffDelay(const BackoffPolicy& policy, unsigned attempt, double unitRandom) {
  const double maxMs = static_cast<double>(policy.max.count());
  // pow() overflows to inf for large attempts, which min() turns into the cap.
  const double base = std::min(
      maxMs, static_cast<double>(policy.initial.count()) * std::pow(policy.multiplier, attempt));
  const double draw = std::clamp(unitRandom, 0.0, 1.0);
  const double delay = base * (1.0 - policy.jitter * draw);
  return Milliseconds(std::max<long long>(1, std::llround(delay)));
}

Result<Backoff> Backoff::create(BackoffPolicy policy, RandomSource random) {
  if (auto valid = policy.validate(); !valid) return valid.error();
  if (!random) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
  return Backoff(policy, std::move(random));
}

Backoff::Backoff(BackoffPolicy policy, RandomSource random)
    : policy_(policy), random_(std::move(random)) {}

Milliseconds Backoff::next() {
  const Milliseconds delay = backoffDelay(policy_, attempt_, random_());
  if (attempt_ < 64) ++attempt_;  // past 64 the cap has long been reached
  return delay;
}

Result<void> RestartBudgetPolicy::validate() const {
  if (window < Milliseconds(1)) {
    return makeError(BackoffError::InvalidPolicy, "invalid restart budget",
                     {FieldError{"window", "must be at least 1 ms"}});
  }
  return {};
}

Result<RestartBudget> RestartBudget::create(RestartBudgetPolicy policy) {
  if (auto valid = policy.validate(); !valid) return valid.error();
  return RestartBudget(policy);
}

void RestartBudget::forgetBefore(Clock::time_point now) {
  while (!restarts_.empty() && now - restarts_.front() >= policy_.window)
    restarts_.pop_front();
}

bool RestartBudget::tryConsume(Clock::time_point now) {
  forgetBefore(now);
  if (restarts_.size() >= policy_.maxRestarts) return false;
  restarts_.push_back(now);
  return true;
}

unsigned RestartBudget::used(Clock::time_point now) {
  forgetBefore(now);
  return static_cast<unsigned>(restarts_.size());
}

Result<RestartPolicy> RestartPolicy::create(BackoffPolicy backoff, RestartBudgetPolicy budget,
                                            Backoff::RandomSource random) {
  auto createdBackoff = Backoff::create(backoff, std::move(random));
  if (!createdBackoff) return createdBackoff.error();
  auto createdBudget = RestartBudget::create(budget);
  if (!createdBudget) return createdBudget.error();
  return RestartPolicy(std::move(createdBackoff).value(), std::move(createdBudget).value());
}

std::optional<Milliseconds> RestartPolicy::nextRestart(RestartBudget::Clock::time_point now) {
  if (!budget_.tryConsume(now)) return std::nullopt;
  return backoff_.next();
}

}  // namespace su
