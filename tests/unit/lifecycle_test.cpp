// The lifecycle manager: closers last-first, past failures, every failure reported.
#include "orchestrator/lifecycle.hpp"

#include <gtest/gtest.h>

#include "core/main_context.hpp"
#include "support/main_context_test.hpp"

namespace su::orchestrator {
namespace {

class LifecycleTest : public test::MainContextTest {};

TEST_F(LifecycleTest, ClosesLastFirstContinuesPastFailuresAndReportsThemAll) {
  Lifecycle lifecycle;
  std::vector<std::string> ran;
  auto closer = [&](std::string name, bool fails) {
    return [&ran, name, fails, this](Lifecycle::Done done) {
      ran.push_back(name);
      // Answered later, as Janus would.
      auto idle = std::make_shared<Source>();
      *idle = Source::idle(context(), [idle, done, fails, name] {
        done(fails
                 ? Result<void>(Error{g_quark_from_static_string("test"), 1, name + " refused", {}})
                 : Result<void>());
        return false;
      });
    };
  };
  lifecycle.add("mountpoint", closer("mountpoint", false));
  lifecycle.add("room", closer("room", true));
  lifecycle.add("forwarder", closer("forwarder", false));
  lifecycle.add("relay", closer("relay", true), "relay_stopped");
  EXPECT_EQ(lifecycle.names(),
            (std::vector<std::string>{"mountpoint", "room", "forwarder", "relay"}));

  std::vector<std::string> progress;
  std::optional<std::vector<Error>> failures;
  lifecycle.closeAll(
      [&](std::vector<Error> errors) { failures = std::move(errors); },
      [&](const std::string& what, const std::string& kind, const Result<void>& outcome) {
        progress.push_back(what + (kind.empty() ? "" : " (" + kind + ")") +
                           (outcome ? " ok" : " failed"));
      });
  ASSERT_TRUE(runUntil([&] { return failures.has_value(); }));
  EXPECT_EQ(ran, (std::vector<std::string>{"relay", "forwarder", "room", "mountpoint"}));
  EXPECT_EQ(progress, (std::vector<std::string>{"relay (relay_stopped) failed", "forwarder ok",
                                                "room failed", "mountpoint ok"}));
  ASSERT_EQ(failures->size(), 2u);
  EXPECT_EQ((*failures)[0].message, "relay: relay refused");
  EXPECT_EQ((*failures)[1].message, "room: room refused");
  EXPECT_TRUE(lifecycle.empty());
}

TEST_F(LifecycleTest, ClosersThatFailedInAWayWorthRetryingAreKeptForTheNextClose) {
  const GQuark unreachable = g_quark_from_static_string("unreachable");
  Lifecycle lifecycle;
  std::vector<std::string> ran;
  bool reachable = false;
  auto closer = [&](std::string name) {
    return [&, name](Lifecycle::Done done) {
      ran.push_back(name);
      if (reachable || name == "relay") return done(Result<void>());
      done(Error{unreachable, 1, "no answer", {}});
    };
  };
  lifecycle.add("mountpoint", closer("mountpoint"));
  lifecycle.add("room", closer("room"));
  lifecycle.add("relay", closer("relay"));
  const auto keep = [&](const Error& error) { return error.domain == unreachable; };

  std::optional<std::vector<Error>> failures;
  lifecycle.closeAll([&](std::vector<Error> errors) { failures = std::move(errors); }, {}, keep);
  ASSERT_TRUE(failures);
  EXPECT_EQ(failures->size(), 2u);
  EXPECT_EQ(lifecycle.names(), (std::vector<std::string>{"mountpoint", "room"}));

  reachable = true;
  ran.clear();
  failures.reset();
  lifecycle.closeAll([&](std::vector<Error> errors) { failures = std::move(errors); }, {}, keep);
  ASSERT_TRUE(failures);
  EXPECT_TRUE(failures->empty());
  EXPECT_EQ(ran, (std::vector<std::string>{"room", "mountpoint"})) << "still last-first";
  EXPECT_TRUE(lifecycle.empty());
}

TEST_F(LifecycleTest, NothingToCloseIsDoneAtOnce) {
  Lifecycle lifecycle;
  bool done = false;
  lifecycle.closeAll([&](std::vector<Error> errors) {
    EXPECT_TRUE(errors.empty());
    done = true;
  });
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace su::orchestrator
