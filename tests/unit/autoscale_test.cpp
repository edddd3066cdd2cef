// The autoscaling figure and when it is asked for: pure, so exact.
#include "service/autoscale.hpp"

#include <gtest/gtest.h>

namespace su::service {
namespace {

TEST(Autoscale, DesiredWorkersFollowTheLagWithinTheBounds) {
  const AutoscalePolicy policy{.minWorkers = 2, .maxWorkers = 6, .targetLagPerWorker = 5};
  EXPECT_EQ(desiredWorkers(policy, 0), 2);
  EXPECT_EQ(desiredWorkers(policy, 10), 2);
  EXPECT_EQ(desiredWorkers(policy, 11), 3);
  EXPECT_EQ(desiredWorkers(policy, 30), 6);
  EXPECT_EQ(desiredWorkers(policy, 1000), 6);
  EXPECT_EQ(desiredWorkers(policy, -3), 2);
  EXPECT_EQ(desiredWorkers({.minWorkers = 1, .maxWorkers = 0, .targetLagPerWorker = 0}, 9), 1);
}

TEST(Autoscale, ARequestWhenTheFigureChangesAndTheCooldownHasPassed) {
  Autoscaler scaler(
      {.minWorkers = 1, .maxWorkers = 10, .targetLagPerWorker = 2, .cooldown = Milliseconds(1000)});
  EXPECT_TRUE(scaler.tick(0, 0).request) << "the first figure is always said";
  EXPECT_FALSE(scaler.tick(1, 100).request) << "still 1 worker";
  auto up = scaler.tick(7, 200);
  EXPECT_EQ(up.desired, 4);
  EXPECT_FALSE(up.request) << "within the cooldown";
  EXPECT_EQ(scaler.lastDesired(), 4) << "the metric follows at once";
  up = scaler.tick(7, 1000);
  EXPECT_TRUE(up.request);
  EXPECT_EQ(up.desired, 4);
  EXPECT_FALSE(scaler.tick(8, 3000).request) << "the same figure again";
  EXPECT_TRUE(scaler.tick(0, 3000).request);
}

}  // namespace
}  // namespace su::service
