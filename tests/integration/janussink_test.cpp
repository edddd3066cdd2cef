// The janussink element (loaded from the build through GST_PLUGIN_PATH) against a real Janus:
// from gst-launch-1.0 to a WebRTC viewer, in-process pipelines, and its failures.
#include <gtest/gtest.h>

#include <map>

#include "janus/streaming.hpp"
#include "support/janus_server.hpp"
#include "support/janus_test.hpp"
#include "support/media_sources.hpp"
#include "support/service_process.hpp"
#include "support/test_data.hpp"

namespace su {
namespace {

using namespace std::chrono_literals;

struct PostedError {
  GQuark domain = 0;
  int code = 0;
  std::string message;
  std::string details;
};

class JanusSinkTest : public test::JanusStreamingTest {
 protected:
  void TearDown() override {
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    pipeline.reset();
    JanusStreamingTest::TearDown();
  }

  // `description` with {janus} replaced by janus-url=... and {key} by admin-key=...
  void launch(std::string description) {
    auto replace = [&](const std::string& what, const std::string& with) {
      for (std::size_t at = description.find(what); at != std::string::npos;
           at = description.find(what)) {
        description.replace(at, what.size(), with);
      }
    };
    replace("{janus}", "janus-url=" + janus->url());
    replace("{key}", "admin-key=" + janus->streamingAdminKey());
    GUnique<GError> error;
    pipeline = GRef<GstElement>::adopt(gst_parse_launch(description.c_str(), error.outPtr()));
    ASSERT_TRUE(pipeline) << (error ? error->message : "no pipeline");
    ASSERT_FALSE(error) << error->message;
  }

  GstStateChangeReturn play() { return gst_element_set_state(pipeline.get(), GST_STATE_PLAYING); }

  std::optional<PostedError> postedError() {
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    return parsed(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
  }
  static std::optional<PostedError> parsed(GstMessage* message) {
    if (!message) return std::nullopt;
    GError* error = nullptr;
    gchar* details = nullptr;
    gst_message_parse_error(message, &error, &details);
    PostedError posted{error->domain, error->code, error->message, details ? details : ""};
    g_error_free(error);
    g_free(details);
    gst_message_unref(message);
    return posted;
  }

  // The first error on the bus, waiting up to `timeout` for it.
  std::optional<PostedError> awaitError(std::chrono::milliseconds timeout) {
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    return parsed(gst_bus_timed_pop_filtered(
        bus.get(), static_cast<GstClockTime>(timeout.count() * timeScale()) * GST_MSECOND,
        GST_MESSAGE_ERROR));
  }

  // Plays the pipeline expecting its start to fail, and the pipeline back in NULL: what needs
  // no Janus fails the state change itself (`atOnce`); what Janus refuses is posted when it
  // answers, after the state change returned.
  PostedError failedStart(bool atOnce = false) {
    const GstStateChangeReturn played = play();
    if (atOnce) {
      EXPECT_EQ(played, GST_STATE_CHANGE_FAILURE);
    } else {
      EXPECT_NE(played, GST_STATE_CHANGE_FAILURE) << "Janus is asked in the background";
    }
    auto error = awaitError(std::chrono::seconds(20));
    EXPECT_TRUE(error) << "no error posted";
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return error.value_or(PostedError{});
  }

  GstElement* sink() const { return gst_bin_get_by_name(GST_BIN(pipeline.get()), "js"); }

  Result<janus::MountPointInfo> info(std::int64_t id) {
    return wait<janus::MountPointInfo>([&](auto done) { streaming->info(id, std::nullopt, done); });
  }

  bool mediaFresh(std::int64_t id, std::size_t mediaCount) {
    return JanusTest::mediaFresh(*streaming, id, mediaCount);
  }

  bool gone(std::int64_t id) {
    auto found = info(id);
    return !found && janus::isPluginError(found.error(), janus::kStreamingNoSuchMountpoint);
  }

  GRef<GstElement> pipeline;
};

// The mountpoint's media packets and the branch elements of a running janussink.
struct SinkStats {
  std::int64_t mountpointId = 0;
  std::map<std::string, std::uint64_t> packets;           // per mid
  std::map<std::string, std::uint64_t> keyframeRequests;  // per mid with RTCP
};

SinkStats statsOf(GstElement* sink) {
  GstStructure* stats = nullptr;
  g_object_get(sink, "stats", &stats, nullptr);
  SinkStats result;
  gst_structure_get_int64(stats, "mountpoint-id", &result.mountpointId);
  const GValue* media = gst_structure_get_value(stats, "media");
  for (guint i = 0; i < gst_value_array_get_size(media); ++i) {
    const GstStructure* entry = gst_value_get_structure(gst_value_array_get_value(media, i));
    guint64 packets = 0;
    gst_structure_get_uint64(entry, "packets", &packets);
    result.packets[gst_structure_get_string(entry, "mid")] = packets;
    guint64 requests = 0;
    if (gst_structure_get_uint64(entry, "keyframe-requests", &requests)) {
      result.keyframeRequests[gst_structure_get_string(entry, "mid")] = requests;
    }
  }
  gst_structure_free(stats);
  return result;
}

bool branchContains(GstElement* sink, const std::string& branch, const std::string& factory) {
  auto bin = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(sink), branch.c_str()));
  if (!bin) return false;
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(bin.get()));
  bool found = false;
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElementFactory* f = gst_element_get_factory(GST_ELEMENT(g_value_get_object(&item)));
    found = f && factory == GST_OBJECT_NAME(f);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

TEST_F(JanusSinkTest, GstLaunchFeedsAWebRtcViewerAndStoppingDestroysTheMountpoint) {
  test::ServiceProcess launcher("gst-launch");
  // Under the sanitizers, Debian's gst-launch-1.0 loads our sanitized plugin with the ASan runtime
  // preloaded; what gst-launch itself keeps at its exit is not ours to report.
  if (const char* runtime = g_getenv("SU_ASAN_RUNTIME"); runtime && *runtime) {
    launcher.setEnvironment({{"LD_PRELOAD", runtime}, {"ASAN_OPTIONS", "detect_leaks=0"}});
  }
  ASSERT_TRUE(launcher.start({"gst-launch-1.0",
                              "-e",
                              "videotestsrc",
                              "is-live=true",
                              "!",
                              "video/x-raw,width=320,height=240,framerate=30/1",
                              "!",
                              "x264enc",
                              "tune=zerolatency",
                              "key-int-max=30",
                              "!",
                              "janussink",
                              "name=js",
                              "janus-url=" + janus->url(),
                              "mountpoint-id=9401",
                              "create-mountpoint=true",
                              "admin-key=" + janus->streamingAdminKey(),
                              "audiotestsrc",
                              "is-live=true",
                              "!",
                              "opusenc",
                              "!",
                              "js."}));
  ASSERT_TRUE(mediaFresh(9401, 2)) << "age_ms < 100 for both media\n" << launcher.logTail();

  EXPECT_TRUE(viewerDecodes(9401, 60));
  EXPECT_EQ(launcher.interrupt(10s), 0) << launcher.logTail();
  EXPECT_TRUE(gone(9401)) << "destroy-on-stop removes what the element created";
  EXPECT_EQ(launcher.logTail(100000).find(janus->streamingAdminKey()), std::string::npos);
}

TEST_F(JanusSinkTest, AnEncoderNegotiatesWhatPassesThroughAndAacBecomesOpus) {
  launch(
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency ! janussink name=js {janus} {key} create-mountpoint=true "
      "mountpoint-id=9402 audiotestsrc is-live=true ! avenc_aac ! js.audio_0");
  ASSERT_EQ(play(), GST_STATE_CHANGE_SUCCESS) << postedError().value_or(PostedError{}).message;
  ASSERT_TRUE(mediaFresh(9402, 2));
  auto element = GRef<GstElement>::adopt(sink());
  // The fmtp asks for constrained baseline: x264enc, asked, encodes that, and it passes through.
  EXPECT_FALSE(branchContains(element.get(), "out-v0", "x264enc"));
  EXPECT_TRUE(branchContains(element.get(), "out-v0", "rtph264pay"));
  EXPECT_TRUE(branchContains(element.get(), "out-a0", "opusenc"));
  const SinkStats stats = statsOf(element.get());
  EXPECT_EQ(stats.mountpointId, 9402);
  EXPECT_GT(stats.packets.at("v0"), 0u);
  EXPECT_GT(stats.packets.at("a0"), 0u);
  // The created mountpoint's video has an RTCP port (rtcp=true, the default): its branch goes
  // through rtpbin, and a viewer's keyframe request reaches x264enc upstream.
  EXPECT_TRUE(branchContains(element.get(), "out-v0", "rtpbin"));
  EXPECT_FALSE(branchContains(element.get(), "out-a0", "rtpbin"));
  EXPECT_FALSE(stats.keyframeRequests.contains("a0"));
  runFor(2s);  // sender reports: Janus now knows where to send feedback
  EXPECT_TRUE(viewerDecodes(9402));
  EXPECT_TRUE(runUntil([&] { return statsOf(element.get()).keyframeRequests["v0"] > 0; }, 5s));

  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  EXPECT_TRUE(gone(9402));
}

// Janus restarts while the pipeline plays (it forgets every mountpoint that is not permanent):
// janussink creates its mountpoint again with the same id and ports, its branches go on feeding
// it, and a warning on the bus says what happened.
TEST_F(JanusSinkTest, AMountpointJanusForgotInARestartIsCreatedAgainWhilePlaying) {
  launch(
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 ! janussink name=js {janus} {key} "
      "create-mountpoint=true mountpoint-id=9405 audiotestsrc is-live=true ! opusenc ! "
      "js.audio_0");
  ASSERT_EQ(play(), GST_STATE_CHANGE_SUCCESS) << postedError().value_or(PostedError{}).message;
  ASSERT_TRUE(mediaFresh(9405, 2));
  auto before = info(9405);
  ASSERT_TRUE(before.ok());

  janus->kill();
  ASSERT_TRUE(janus->restart());
  auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
  std::string warnings;
  const bool recreated = runUntil(
      [&] {
        while (GstMessage* message = gst_bus_pop_filtered(bus.get(), GST_MESSAGE_WARNING)) {
          GError* error = nullptr;
          gst_message_parse_warning(message, &error, nullptr);
          warnings += std::string(error->message) + "\n";
          g_error_free(error);
          gst_message_unref(message);
        }
        return warnings.find("created again with the same id and ports") != std::string::npos;
      },
      20s);
  EXPECT_TRUE(recreated) << warnings << janus->logTail();
  ASSERT_TRUE(runUntil([&] { return info(9405).ok(); }, 20s)) << "the test's session is back";
  EXPECT_TRUE(mediaFresh(9405, 2)) << "the same branches feed the same ports";
  EXPECT_TRUE(viewerDecodes(9405));
  EXPECT_EQ(warnings.find(janus->streamingAdminKey()), std::string::npos);

  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  EXPECT_TRUE(gone(9405)) << "destroyed on stop, as before the restart";
}

TEST_F(JanusSinkTest, AnExistingMountpointNeedsItsSecretAndIsLeftInPlace) {
  model::MountPoint spec{
      .id = 9403, .secret = "sink-secret-3", .adminKey = janus->streamingAdminKey()};
  spec.media = {{.type = model::MediaType::Video, .mid = "cam", .codec = "vp8"}};
  spec.normalize();
  auto created = wait<janus::MountPointCreated>([&](auto done) { streaming->create(spec, done); });
  ASSERT_TRUE(created.ok()) << created.error().message;

  launch(
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "janussink name=js {janus} mountpoint-id=9403");
  PostedError error = failedStart();
  EXPECT_EQ(error.domain, GST_RESOURCE_ERROR);
  EXPECT_EQ(error.code, GST_RESOURCE_ERROR_SETTINGS);
  EXPECT_EQ(error.message,
            "Janus tells the ports of mountpoint 9403 only to its owner: set secret");

  launch(
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! vp8enc deadline=1 ! "
      "janussink name=js {janus} mountpoint-id=9403 secret=sink-secret-3");
  ASSERT_EQ(play(), GST_STATE_CHANGE_SUCCESS) << postedError().value_or(PostedError{}).message;
  EXPECT_TRUE(mediaFresh(9403, 1));
  auto element = GRef<GstElement>::adopt(sink());
  EXPECT_GT(statsOf(element.get()).packets.at("cam"), 0u);
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  EXPECT_TRUE(info(9403).ok()) << "a mountpoint the element did not create stays";
}

TEST_F(JanusSinkTest, FailuresAreClearKeepSecretsAndLeaveNothingInJanus) {
  const std::string encoder = "videotestsrc is-live=true ! x264enc tune=zerolatency ! ";

  // A wrong admin key.
  launch(encoder +
         "janussink name=js {janus} create-mountpoint=true mountpoint-id=9404 "
         "admin-key=not-the-key-4");
  PostedError error = failedStart();
  EXPECT_EQ(error.code, GST_RESOURCE_ERROR_NOT_AUTHORIZED) << error.message;
  EXPECT_EQ(error.message.rfind("Janus did not create the mountpoint: ", 0), 0u) << error.message;
  EXPECT_EQ((error.message + error.details).find("not-the-key-4"), std::string::npos);
  EXPECT_TRUE(gone(9404));

  // Janus unreachable.
  launch(encoder + "janussink name=js janus-url=ws://127.0.0.1:" +
         std::to_string(test::freeTcpPort()) + " timeout=2000 create-mountpoint=true");
  error = failedStart();
  EXPECT_EQ(error.code, GST_RESOURCE_ERROR_OPEN_WRITE);
  EXPECT_EQ(error.message.rfind("cannot reach Janus at ws://127.0.0.1:", 0), 0u) << error.message;

  // A pad the spec has no media for: the mountpoint created for it is destroyed again.
  launch(encoder +
         "janussink name=js {janus} {key} create-mountpoint=true mountpoint-id=9405 "
         "mountpoint-spec=\"{\\\"media\\\":[{\\\"type\\\":\\\"video\\\",\\\"codec\\\":"
         "\\\"h264\\\"}]}\" audiotestsrc is-live=true ! opusenc ! js.audio_0");
  error = failedStart();
  EXPECT_EQ(error.code, GST_RESOURCE_ERROR_SETTINGS);
  EXPECT_EQ(error.message,
            "pad audio_0: the mountpoint has no audio media taking stream 0 (each pad feeds "
            "exactly one)");
  EXPECT_TRUE(gone(9405));

  // A spec that is not a mountpoint: every problem, with its path.
  launch(encoder +
         "janussink name=js {janus} create-mountpoint=true "
         "mountpoint-spec=\"{\\\"media\\\":[{\\\"type\\\":\\\"video\\\",\\\"port\\\":"
         "\\\"5004\\\"}],\\\"secret\\\":\\\"spec-secret-6\\\"}\"");
  error = failedStart(true);
  EXPECT_EQ(error.code, GST_RESOURCE_ERROR_SETTINGS);
  EXPECT_EQ(error.message.rfind("invalid mountpoint-spec: ", 0), 0u) << error.message;
  EXPECT_NE(error.details.find("media[0].port"), std::string::npos) << error.details;
  auto element = GRef<GstElement>::adopt(sink());
  gchar* specBack = nullptr;
  g_object_get(element.get(), "mountpoint-spec", &specBack, nullptr);
  EXPECT_EQ(std::string(specBack).find("spec-secret-6"), std::string::npos) << specBack;
  g_free(specBack);

  // A codec no branch can send: refused before Janus is asked.
  launch(encoder +
         "janussink name=js {janus} {key} create-mountpoint=true mountpoint-id=9406 "
         "video-codec=av1");
  error = failedStart(true);
  EXPECT_EQ(error.code, GST_RESOURCE_ERROR_SETTINGS);
  EXPECT_EQ(
      error.message.rfind("codec av1 cannot be sent to Janus by janussink (it sends h264, ", 0), 0u)
      << error.message;
  EXPECT_TRUE(gone(9406));

  // Nothing to feed.
  launch(encoder + "janussink name=js {janus}");
  error = failedStart(true);
  EXPECT_EQ(error.message, "mountpoint-id is required unless create-mountpoint is set");

  auto list = wait<std::vector<janus::MountPointInfo>>([&](auto done) { streaming->list(done); });
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty()) << list->size() << " mountpoints left in Janus";
}

// The application's thread never waits for Janus: against a server that takes the connection
// and never answers, starting returns at once and the error comes when the timeout does.
TEST_F(JanusSinkTest, StartingNeverWaitsForJanus) {
  GSocketListener* silent = g_socket_listener_new();
  const guint16 port = g_socket_listener_add_any_inet_port(silent, nullptr, nullptr);
  ASSERT_NE(port, 0);
  const long timeoutMs = 5000 * timeScale();
  launch(
      "videotestsrc is-live=true ! x264enc tune=zerolatency ! janussink name=js "
      "janus-url=ws://127.0.0.1:" +
      std::to_string(port) + " create-mountpoint=true timeout=" + std::to_string(timeoutMs));
  const std::int64_t before = g_get_monotonic_time();
  const GstStateChangeReturn played = play();
  const std::int64_t tookMs = (g_get_monotonic_time() - before) / 1000;
  EXPECT_NE(played, GST_STATE_CHANGE_FAILURE);
  EXPECT_LT(tookMs, timeoutMs / 2) << "the state change waited for Janus";
  const auto error = awaitError(std::chrono::milliseconds(timeoutMs * 3 / timeScale()));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, GST_RESOURCE_ERROR_OPEN_WRITE);
  EXPECT_EQ(error->message.rfind("cannot reach Janus at ws://127.0.0.1:" + std::to_string(port), 0),
            0u)
      << error->message;
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  g_socket_listener_close(silent);
  g_object_unref(silent);
}

}  // namespace
}  // namespace su
