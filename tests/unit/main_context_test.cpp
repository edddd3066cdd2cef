#include "core/main_context.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "support/main_context_test.hpp"

namespace su {
namespace {

using namespace std::chrono_literals;
using test::MainContextTest;

using SourceTest = MainContextTest;

TEST_F(SourceTest, TimeoutRepeatsUntilItsCallbackSaysStop) {
  int fired = 0;
  Source timer = Source::timeout(
      context(), 5ms, [&] { return ++fired < 3; }, "test timer");
  EXPECT_TRUE(runUntil([&] { return fired == 3; }));
  EXPECT_FALSE(timer.active());
  runFor(30ms);
  EXPECT_EQ(fired, 3);
  EXPECT_STREQ(g_source_get_name(timer.get()), "test timer");
}

TEST_F(SourceTest, RunsOnTheGivenContextOnly) {
  auto other = GRef<GMainContext>::adopt(g_main_context_new());
  bool fired = false;
  Source idle = Source::idle(other.get(), [&] {
    fired = true;
    return false;
  });
  runFor(20ms);
  EXPECT_FALSE(fired);
  while (g_main_context_iteration(other.get(), FALSE)) {
  }
  EXPECT_TRUE(fired);
}

TEST_F(SourceTest, DestroyingTheOwnerCancelsAndFreesTheCallback) {
  auto token = std::make_shared<int>(0);
  bool fired = false;
  {
    Source timer = Source::timeout(context(), 10ms, [&fired, token] {
      fired = true;
      return true;
    });
    EXPECT_EQ(token.use_count(), 2);
  }
  EXPECT_EQ(token.use_count(), 1) << "the callback (and what it captured) is freed";
  runFor(40ms);
  EXPECT_FALSE(fired);
}

TEST_F(SourceTest, CancelInsideItsOwnCallbackIsSafe) {
  auto token = std::make_shared<int>(0);
  Source timer;
  int fired = 0;
  timer = Source::timeout(context(), 1ms, [&timer, &fired, token] {
    ++fired;
    timer.cancel();  // frees the Source's hold while this callback still runs
    return true;
  });
  EXPECT_TRUE(runUntil([&] { return fired == 1; }));
  runFor(20ms);
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.active());
  EXPECT_EQ(token.use_count(), 1);
}

TEST_F(SourceTest, MoveAssignmentCancelsTheSourceItReplaces) {
  bool firstFired = false;
  bool secondFired = false;
  Source source = Source::idle(context(), [&] {
    firstFired = true;
    return false;
  });
  source = Source::idle(context(), [&] {
    secondFired = true;
    return false;
  });
  EXPECT_TRUE(runUntil([&] { return secondFired; }));
  EXPECT_FALSE(firstFired);
}

TEST_F(SourceTest, AttachOwnsASourceWhoseCallbackTheCallerSet) {
  int fired = 0;
  auto raw = GRef<GSource>::adopt(g_timeout_source_new(1));
  g_source_set_callback(
      raw.get(),
      [](gpointer data) -> gboolean {
        ++*static_cast<int*>(data);
        return G_SOURCE_CONTINUE;
      },
      &fired, nullptr);
  {
    Source owned = Source::attach(raw, context());
    EXPECT_TRUE(owned.active());
    EXPECT_TRUE(runUntil([&] { return fired >= 2; }));
  }
  EXPECT_TRUE(g_source_is_destroyed(raw.get()));
  const int before = fired;
  runFor(20ms);
  EXPECT_EQ(fired, before);
}

TEST_F(SourceTest, RunUntilGivesUpAtItsTimeout) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(runUntil([] { return false; }, 50ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 50ms);
}

class SignalCounter {
 public:
  static void onCancelled(GCancellable*, gpointer data) {
    ++static_cast<SignalCounter*>(data)->count;
  }
  int count = 0;
};

TEST(SignalConnection, DisconnectsWhenDestroyed) {
  auto cancellable = GRef<GCancellable>::adopt(g_cancellable_new());
  SignalCounter counter;
  {
    SignalConnection connection = SignalConnection::connect(
        cancellable.get(), "cancelled", G_CALLBACK(&SignalCounter::onCancelled), &counter);
    EXPECT_TRUE(connection.connected());
    g_cancellable_cancel(cancellable.get());
    EXPECT_EQ(counter.count, 1);
    g_cancellable_reset(cancellable.get());
  }
  g_cancellable_cancel(cancellable.get());
  EXPECT_EQ(counter.count, 1) << "the handler must be gone";
}

TEST(SignalConnection, DoesNotKeepTheInstanceAliveAndSurvivesItsDeath) {
  GCancellable* raw = g_cancellable_new();
  SignalCounter counter;
  SignalConnection connection = SignalConnection::connect(
      raw, "cancelled", G_CALLBACK(&SignalCounter::onCancelled), &counter);
  EXPECT_EQ(G_OBJECT(raw)->ref_count, 1u);
  g_object_unref(raw);
  EXPECT_FALSE(connection.connected());
  connection.disconnect();  // nothing left to disconnect from: no critical
}

TEST(SignalConnection, MovesKeepOneOwner) {
  auto cancellable = GRef<GCancellable>::adopt(g_cancellable_new());
  SignalCounter counter;
  SignalConnection first = SignalConnection::connect(
      cancellable.get(), "cancelled", G_CALLBACK(&SignalCounter::onCancelled), &counter);
  SignalConnection second = std::move(first);
  EXPECT_FALSE(first.connected());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(second.connected());
  second = SignalConnection();
  g_cancellable_cancel(cancellable.get());
  EXPECT_EQ(counter.count, 0);
}

TEST(Cancellable, CancelsPendingWorkWhenItsOwnerGoes) {
  GRef<GCancellable> observed;
  {
    Cancellable owner;
    observed = GRef<GCancellable>::ref(owner.get());
    EXPECT_FALSE(owner.cancelled());
  }
  EXPECT_TRUE(g_cancellable_is_cancelled(observed.get()));
}

TEST(Cancellable, RenewCancelsTheOldOperationsAndStartsAfresh) {
  Cancellable owner;
  auto old = GRef<GCancellable>::ref(owner.get());
  owner.renew();
  EXPECT_TRUE(g_cancellable_is_cancelled(old.get()));
  EXPECT_NE(owner.get(), old.get());
  EXPECT_FALSE(owner.cancelled());
  owner.cancel();
  EXPECT_TRUE(owner.cancelled());
}

}  // namespace
}  // namespace su
