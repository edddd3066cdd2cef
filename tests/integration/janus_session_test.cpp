// The Janus session against the real Janus (Debian's, started by the test support).
#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "support/janus_test.hpp"

namespace su::janus {
namespace {

using namespace std::chrono_literals;
using test::JanusTest;

Result<PluginReply> listMountpoints(JanusTest& test, Handle& handle) {
  return test.wait<PluginReply>(
      [&](auto done) { handle.message(*json::parse(R"({"request":"list"})"), done); });
}

TEST_F(JanusTest, ConnectsAttachesAndAsksAPlugin) {
  connectSession();
  auto streaming = attach(kStreamingPlugin);
  ASSERT_TRUE(streaming);
  auto list = listMountpoints(*this, *streaming);
  ASSERT_TRUE(list.ok()) << list.error().message;
  JsonObject* data = list->data.object();
  EXPECT_STREQ(json_object_get_string_member(data, "streaming"), "list");
  EXPECT_EQ(json_array_get_length(json_object_get_array_member(data, "list")), 0u);
}

TEST_F(JanusTest, AnUnknownPluginIsAJanusCoreError) {
  connectSession();
  auto attached = wait<std::shared_ptr<Handle>>(
      [&](auto done) { session->attach("janus.plugin.nonexistent", done); });
  ASSERT_FALSE(attached.ok());
  EXPECT_TRUE(attached.error().is(janusCoreErrorDomain(), 460)) << attached.error().message;
  EXPECT_NE(attached.error().message.find("Janus refused attach janus.plugin.nonexistent"),
            std::string::npos)
      << attached.error().message;
}

TEST_F(JanusTest, DestroyEndsTheSession) {
  connectSession();
  auto destroyed = wait<void>([&](auto done) { session->destroy(done); });
  ASSERT_TRUE(destroyed.ok()) << destroyed.error().message;
  EXPECT_FALSE(session->ready());
}

class JanusShortSessionTest : public JanusTest {
 protected:
  test::JanusServer::Options janusOptions() const override { return {.sessionTimeoutSeconds = 2}; }
};

TEST_F(JanusShortSessionTest, KeepaliveHoldsAnIdleSessionForThreeTimesTheTimeout) {
  connectSession({.keepaliveInterval = 500ms});
  auto streaming = attach(kStreamingPlugin);
  const std::uint64_t id = session->id();
  runFor(6500ms);  // 3 x session_timeout, and Janus's watchdog period on top
  EXPECT_TRUE(listener.lost.empty()) << listener.lost[0].message;
  EXPECT_EQ(session->id(), id);
  auto list = listMountpoints(*this, *streaming);
  EXPECT_TRUE(list.ok()) << list.error().message;
}

TEST_F(JanusShortSessionTest, WithoutKeepaliveJanusTimesTheSessionOutAndItIsRestored) {
  // The control for the test above: the same idle time without keepalives loses the session.
  connectSession({.keepaliveInterval = 0ms});
  auto streaming = attach(kStreamingPlugin);
  const std::uint64_t firstId = session->id();
  const std::uint64_t firstHandle = streaming->id();
  ASSERT_TRUE(runUntil([&] { return !listener.lost.empty(); }, 8s));
  EXPECT_TRUE(listener.lost[0].is(errorDomainOf(JanusError::SessionLost),
                                  static_cast<int>(JanusError::SessionLost)))
      << listener.lost[0].message;
  ASSERT_TRUE(runUntil([&] { return listener.restored == 1; }));
  EXPECT_NE(session->id(), firstId);
  EXPECT_NE(streaming->id(), firstHandle);
  auto list = listMountpoints(*this, *streaming);
  EXPECT_TRUE(list.ok()) << list.error().message;
}

TEST_F(JanusTest, SurvivesJanusBeingKilledAndRestarted) {
  connectSession({.reconnectBackoff = {.initial = 100ms, .max = 1s}});
  auto streaming = attach(kStreamingPlugin);
  const std::uint64_t firstHandle = streaming->id();

  std::optional<Result<PluginReply>> inFlight;
  streaming->message(*json::parse(R"({"request":"list"})"), [&](auto r) { inFlight = r; });
  janus->kill();
  ASSERT_TRUE(runUntil([&] { return !listener.lost.empty(); }));
  EXPECT_TRUE(listener.lost[0].is(errorDomainOf(JanusError::ConnectionLost),
                                  static_cast<int>(JanusError::ConnectionLost)))
      << listener.lost[0].message;
  auto whileDown = listMountpoints(*this, *streaming);
  EXPECT_TRUE(whileDown.error().is(errorDomainOf(JanusError::NotConnected),
                                   static_cast<int>(JanusError::NotConnected)));

  runFor(500ms);  // a few refused attempts with backoff
  ASSERT_TRUE(janus->restart());
  ASSERT_TRUE(runUntil([&] { return listener.restored == 1; }, 10s)) << janus->logTail();
  EXPECT_TRUE(streaming->attached());
  EXPECT_NE(streaming->id(), firstHandle);
  auto list = listMountpoints(*this, *streaming);
  EXPECT_TRUE(list.ok()) << list.error().message;
  // The request that was in flight when Janus died either got its answer or the loss.
  ASSERT_TRUE(inFlight.has_value());
  if (!inFlight->ok()) {
    EXPECT_TRUE(inFlight->error().is(errorDomainOf(JanusError::ConnectionLost),
                                     static_cast<int>(JanusError::ConnectionLost)));
  }
}

}  // namespace
}  // namespace su::janus
