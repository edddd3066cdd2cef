// The lifecycle manager: closers last-first, past failures, every failure reported.
#include "orchestrator/lifecycle.hpp"

#include <gtest/gtest.h>

#include "core/main_context.hpp"
#include "support/main_context_test.hpp"

namespace su::orchestrator {
namespace {

using namespace std::chrono_literals;

class LifecycleTest : public test::MainContextTest {
 protected:
  // Runs closeAll as a task on the test's context until it is done.
  std::vector<Error> close(Lifecycle& lifecycle, Lifecycle::Progress progress = {},
                           Lifecycle::Keep keep = {}) {
    std::optional<Result<std::vector<Error>>> failures;
    Task<std::vector<Error>> closing = lifecycle.closeAll(std::move(progress), std::move(keep));
    closing.start(context(), [&](Result<std::vector<Error>> got) { failures.emplace(got); });
    EXPECT_TRUE(runUntil([&] { return failures.has_value(); }));
    return failures && *failures ? failures->value() : std::vector<Error>{};
  }
};

// A closer as Janus answers one: later, refused or not.
Task<void> answerLater(std::vector<std::string>* ran, std::string name, bool fails) {
  ran->push_back(name);
  co_await sleep(1ms);
  if (fails) co_return Error{g_quark_from_static_string("test"), 1, name + " refused", {}};
  co_return {};
}

TEST_F(LifecycleTest, ClosesLastFirstContinuesPastFailuresAndReportsThemAll) {
  Lifecycle lifecycle;
  std::vector<std::string> ran;
  auto closer = [&ran](std::string name, bool fails) {
    return [&ran, name, fails] { return answerLater(&ran, name, fails); };
  };
  lifecycle.add("mountpoint", closer("mountpoint", false));
  lifecycle.add("room", closer("room", true));
  lifecycle.add("forwarder", closer("forwarder", false));
  lifecycle.add("relay", closer("relay", true), "relay_stopped");
  EXPECT_EQ(lifecycle.names(),
            (std::vector<std::string>{"mountpoint", "room", "forwarder", "relay"}));

  std::vector<std::string> progress;
  const std::vector<Error> failures =
      close(lifecycle, [&](const std::string& what, const std::string& kind,
                           const Result<void>& outcome) {
        progress.push_back(what + (kind.empty() ? "" : " (" + kind + ")") +
                           (outcome ? " ok" : " failed"));
      });
  EXPECT_EQ(ran, (std::vector<std::string>{"relay", "forwarder", "room", "mountpoint"}));
  EXPECT_EQ(progress, (std::vector<std::string>{"relay (relay_stopped) failed", "forwarder ok",
                                                "room failed", "mountpoint ok"}));
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].message, "relay: relay refused");
  EXPECT_EQ(failures[1].message, "room: room refused");
  EXPECT_TRUE(lifecycle.empty());
}

Task<void> answerNow(std::vector<std::string>* ran, std::string name, const bool* reachable,
                     GQuark unreachable) {
  ran->push_back(name);
  if (*reachable || name == "relay") co_return {};
  co_return Error{unreachable, 1, "no answer", {}};
}

TEST_F(LifecycleTest, ClosersThatFailedInAWayWorthRetryingAreKeptForTheNextClose) {
  const GQuark unreachable = g_quark_from_static_string("unreachable");
  Lifecycle lifecycle;
  std::vector<std::string> ran;
  bool reachable = false;
  auto closer = [&](std::string name) {
    return [&, name] { return answerNow(&ran, name, &reachable, unreachable); };
  };
  lifecycle.add("mountpoint", closer("mountpoint"));
  lifecycle.add("room", closer("room"));
  lifecycle.add("relay", closer("relay"));
  const auto keep = [&](const Error& error) { return error.domain == unreachable; };

  std::vector<Error> failures = close(lifecycle, {}, keep);
  EXPECT_EQ(failures.size(), 2u);
  EXPECT_EQ(lifecycle.names(), (std::vector<std::string>{"mountpoint", "room"}));

  reachable = true;
  ran.clear();
  failures = close(lifecycle, {}, keep);
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(ran, (std::vector<std::string>{"room", "mountpoint"})) << "still last-first";
  EXPECT_TRUE(lifecycle.empty());
}

TEST_F(LifecycleTest, NothingToCloseClosesNothing) {
  Lifecycle lifecycle;
  EXPECT_TRUE(close(lifecycle).empty());
  EXPECT_TRUE(lifecycle.empty());
}

}  // namespace
}  // namespace su::orchestrator
