#include "core/backoff.hpp"

#include <gtest/gtest.h>

#include <random>

namespace su {
namespace {

using namespace std::chrono_literals;
using Clock = RestartBudget::Clock;

Backoff makeBackoff(BackoffPolicy policy, double draw) {
  auto backoff = Backoff::create(policy, [draw] { return draw; });
  EXPECT_TRUE(backoff.ok());
  return std::move(backoff).value();
}

TEST(BackoffPolicy, RejectsEachInvalidField) {
  struct Case {
    BackoffPolicy policy;
    const char* field;
  };
  const Case cases[] = {
      {{.initial = 0ms}, "initial"},
      {{.initial = 1000ms, .max = 999ms}, "max"},
      {{.multiplier = 0.5}, "multiplier"},
      {{.multiplier = std::numeric_limits<double>::infinity()}, "multiplier"},
      {{.jitter = -0.1}, "jitter"},
      {{.jitter = 1.5}, "jitter"},
      {{.jitter = std::numeric_limits<double>::quiet_NaN()}, "jitter"},
  };
  for (const Case& c : cases) {
    auto valid = c.policy.validate();
    ASSERT_FALSE(valid.ok()) << c.field;
    ASSERT_EQ(valid.error().fields.size(), 1u);
    EXPECT_EQ(valid.error().fields[0].path, c.field);
    EXPECT_TRUE(valid.error().is(errorDomainOf(BackoffError::InvalidPolicy),
                                 static_cast<int>(BackoffError::InvalidPolicy)));
    EXPECT_FALSE(Backoff::create(c.policy).ok());
  }
  EXPECT_TRUE(BackoffPolicy{}.validate().ok());
}

TEST(Backoff, DoublesFromInitialUpToTheCapWithoutJitterDraw) {
  Backoff backoff =
      makeBackoff({.initial = 500ms, .max = 30s, .multiplier = 2.0, .jitter = 0.2}, 0.0);
  const std::vector<Milliseconds> expected{500ms,   1000ms,  2000ms,  4000ms, 8000ms,
                                           16000ms, 30000ms, 30000ms, 30000ms};
  for (Milliseconds delay : expected)
    EXPECT_EQ(backoff.next(), delay);
  EXPECT_EQ(backoff.attempts(), expected.size());
}

TEST(Backoff, JitterShortensByAtMostTheJitterFraction) {
  const BackoffPolicy policy{.initial = 1000ms, .max = 60s, .multiplier = 3.0, .jitter = 0.25};
  EXPECT_EQ(backoffDelay(policy, 0, 0.0), 1000ms);
  EXPECT_EQ(backoffDelay(policy, 0, 0.5), 875ms);
  EXPECT_EQ(backoffDelay(policy, 0, 1.0), 750ms);
  EXPECT_EQ(backoffDelay(policy, 2, 0.5), 7875ms);
  // At the cap the jitter still spreads retries out, below the cap.
  EXPECT_EQ(backoffDelay(policy, 10, 0.0), 60000ms);
  EXPECT_EQ(backoffDelay(policy, 10, 1.0), 45000ms);
}

TEST(Backoff, RealRandomDrawsStayWithinTheBandAndVary) {
  const BackoffPolicy policy{.initial = 200ms, .max = 10s, .multiplier = 2.0, .jitter = 0.5};
  auto backoff = Backoff::create(policy);
  ASSERT_TRUE(backoff.ok());
  std::set<long long> seen;
  for (int round = 0; round < 200; ++round) {
    backoff->reset();
    const Milliseconds delay = backoff->next();
    EXPECT_GE(delay, 100ms);
    EXPECT_LE(delay, 200ms);
    seen.insert(delay.count());
  }
  EXPECT_GT(seen.size(), 10u) << "jitter draws should differ";
}

TEST(Backoff, HugeAttemptCountsSaturateAtTheCap) {
  const BackoffPolicy policy{.initial = 1ms, .max = 5s, .multiplier = 10.0, .jitter = 0.0};
  EXPECT_EQ(backoffDelay(policy, 1'000'000, 0.0), 5000ms);
  Backoff backoff = makeBackoff(policy, 0.0);
  for (int i = 0; i < 500; ++i)
    backoff.next();
  EXPECT_EQ(backoff.next(), 5000ms);
}

TEST(Backoff, ResetStartsOverFromInitial) {
  Backoff backoff = makeBackoff({.initial = 100ms, .max = 1s, .jitter = 0.0}, 0.0);
  backoff.next();
  backoff.next();
  EXPECT_EQ(backoff.next(), 400ms);
  backoff.reset();
  EXPECT_EQ(backoff.attempts(), 0u);
  EXPECT_EQ(backoff.next(), 100ms);
}

TEST(Backoff, MultiplierOneGivesAConstantDelay) {
  Backoff backoff =
      makeBackoff({.initial = 250ms, .max = 250ms, .multiplier = 1.0, .jitter = 0.0}, 0.3);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(backoff.next(), 250ms);
}

TEST(RestartBudget, AllowsAtMostMaxRestartsInTheSlidingWindow) {
  auto budget = RestartBudget::create({.maxRestarts = 3, .window = 10s});
  ASSERT_TRUE(budget.ok());
  const Clock::time_point t0{};
  EXPECT_TRUE(budget->tryConsume(t0));
  EXPECT_TRUE(budget->tryConsume(t0 + 1s));
  EXPECT_TRUE(budget->tryConsume(t0 + 2s));
  EXPECT_FALSE(budget->tryConsume(t0 + 3s));
  EXPECT_EQ(budget->used(t0 + 3s), 3u);
  // The restart at t0 leaves the window at t0 + 10s: one more fits, then none again.
  EXPECT_FALSE(budget->tryConsume(t0 + 9999ms));
  EXPECT_TRUE(budget->tryConsume(t0 + 10s));
  EXPECT_FALSE(budget->tryConsume(t0 + 10500ms));
  EXPECT_EQ(budget->used(t0 + 30s), 0u);
  EXPECT_TRUE(budget->tryConsume(t0 + 30s));
}

TEST(RestartBudget, ZeroRestartsNeverAllowsOne) {
  auto budget = RestartBudget::create({.maxRestarts = 0, .window = 1s});
  ASSERT_TRUE(budget.ok());
  EXPECT_FALSE(budget->tryConsume(Clock::time_point{}));
}

TEST(RestartBudget, RejectsAnEmptyWindow) {
  auto budget = RestartBudget::create({.maxRestarts = 3, .window = 0ms});
  ASSERT_FALSE(budget.ok());
  EXPECT_EQ(budget.error().fields.at(0).path, "window");
}

TEST(RestartPolicy, GivesGrowingDelaysUntilTheBudgetIsSpent) {
  auto policy = RestartPolicy::create({.initial = 100ms, .max = 1s, .jitter = 0.0},
                                      {.maxRestarts = 3, .window = 60s}, [] { return 0.0; });
  ASSERT_TRUE(policy.ok());
  const Clock::time_point t0{};
  EXPECT_EQ(policy->nextRestart(t0), 100ms);
  EXPECT_EQ(policy->nextRestart(t0 + 1s), 200ms);
  policy->noteHealthy();  // healthy again: small delays, but the budget remembers
  EXPECT_EQ(policy->nextRestart(t0 + 2s), 100ms);
  EXPECT_EQ(policy->nextRestart(t0 + 3s), std::nullopt);
  EXPECT_EQ(policy->nextRestart(t0 + 61s), 200ms);
}

TEST(RestartPolicy, InvalidPartsAreReported) {
  EXPECT_FALSE(RestartPolicy::create({.initial = 0ms}, {}).ok());
  EXPECT_FALSE(RestartPolicy::create({}, {.window = 0ms}).ok());
}

}  // namespace
}  // namespace su
