// Output planning and branch choice: which stream feeds which media, and what passes through.
#include <gtest/gtest.h>

#include <array>
#include <map>

#include "media/feed_fence.hpp"
#include "media/output.hpp"
#include "model/decode.hpp"
#include "supervisor/relay.hpp"
#include "support/printers.hpp"
#include "support/test_data.hpp"

namespace su::media {
namespace {

model::MountPoint mountpoint(std::string_view json) {
  auto decoded = model::decode<model::MountPoint>(test::parseOk(json).get(), "mountpoint");
  EXPECT_TRUE(decoded.ok()) << decoded.error().describe();
  return decoded ? *decoded : model::MountPoint{};
}

GRef<GstCaps> caps(const char* text) {
  return GRef<GstCaps>::adopt(gst_caps_from_string(text));
}

TEST(PlanOutput, OneTrackPerAudioAndVideoMediaWithPortsFromJanus) {
  auto plan = planOutput(mountpoint(R"({"media": [
      {"type": "audio", "mid": "a", "codec": "opus"},
      {"type": "video", "mid": "v", "codec": "h264", "port": 5004},
      {"type": "data", "mid": "d"},
      {"type": "video", "mid": "v2", "codec": "vp8", "port": 5006, "mindex": 0}]})"),
                         {{.mid = "a", .type = model::MediaType::Audio, .port = 30000},
                          {.mid = "v", .type = model::MediaType::Video, .port = 30002}},
                         "127.0.0.1", "relay-1");
  ASSERT_TRUE(plan.ok()) << plan.error().describe();
  ASSERT_EQ(plan->size(), 3u) << "the data media is skipped";
  EXPECT_EQ((*plan)[0].port, 30000) << "Janus's port wins";
  EXPECT_EQ((*plan)[0].payloadType, 111);
  EXPECT_EQ((*plan)[0].sourceIndex, 0);
  EXPECT_EQ((*plan)[1].port, 30002);
  EXPECT_EQ((*plan)[1].fmtp, "profile-level-id=42e01f;packetization-mode=1");
  EXPECT_EQ((*plan)[2].port, 5006) << "the spec's port when Janus did not report one";
  EXPECT_EQ((*plan)[2].sourceIndex, 0) << "mindex: the first video stream feeds both";
  EXPECT_EQ((*plan)[2].ssrc, stableSsrc("relay-1", "v2"));
}

TEST(PlanOutput, MediaNoRelayCanFeedAreErrorsNamingThem) {
  auto plan = planOutput(mountpoint(R"({"media": [
      {"type": "video", "codec": "h265", "port": 5004},
      {"type": "audio", "codec": "opus"}]})"),
                         {}, "127.0.0.1", "r");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().fields,
            (std::vector<FieldError>{
                {"mountpoint_spec.media[0].codec",
                 "\"h265\" cannot be sent by a relay (relayable: h264, vp8, vp9, opus, pcmu, pcma, "
                 "g722)"},
                {"mountpoint_spec.media[1].port",
                 "unknown: create the mountpoint first, or give its port"}}));
  auto onlyData = planOutput(mountpoint(R"({"media": [{"type": "data", "port": 5000}]})"), {},
                             "127.0.0.1", "r");
  EXPECT_EQ(onlyData.error().message, "the mountpoint has no audio or video media");
}

TEST(PlanOutput, SsrcsAreStablePerRelayAndMid) {
  EXPECT_EQ(stableSsrc("b1", "v"), stableSsrc("b1", "v"));
  EXPECT_NE(stableSsrc("b1", "v"), stableSsrc("b1", "a"));
  EXPECT_NE(stableSsrc("b1", "v"), stableSsrc("b2", "v"));
  EXPECT_NE(stableSsrc("b1", "v"), 0u);
}

TEST(PassThrough, H264PassesWhenItsProfileFitsTheFmtp) {
  OutputTrack baseline{
      .mid = "v", .codec = "h264", .fmtp = "profile-level-id=42e01f;packetization-mode=1"};
  const VideoEncoding video;
  EXPECT_TRUE(
      canPassThrough(caps("video/x-h264,profile=constrained-baseline").get(), baseline, video));
  EXPECT_FALSE(canPassThrough(caps("video/x-h264,profile=high").get(), baseline, video));
  EXPECT_TRUE(canPassThrough(caps("video/x-h264").get(), baseline, video)) << "unknown: trusted";
  OutputTrack high = baseline;
  high.fmtp = "profile-level-id=640028;packetization-mode=1";
  EXPECT_TRUE(canPassThrough(caps("video/x-h264,profile=high").get(), high, video));
  EXPECT_FALSE(canPassThrough(caps("video/x-h264,profile=constrained-baseline").get(), baseline,
                              VideoEncoding{.always = true}))
      << "re-encoding asked for";
}

TEST(PassThrough, ProfileFromAnAvcDecoderConfigurationRecord) {
  OutputTrack baseline{.mid = "v", .codec = "h264", .fmtp = "profile-level-id=42e01f"};
  auto withRecord = [](guint8 profile, guint8 constraints) {
    const guint8 record[] = {1, profile, constraints, 31, 0xff, 0xe1};
    GstBuffer* buffer = gst_buffer_new_memdup(record, sizeof record);
    GstCaps* made = gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "avc",
                                        "codec_data", GST_TYPE_BUFFER, buffer, nullptr);
    gst_buffer_unref(buffer);
    return GRef<GstCaps>::adopt(made);
  };
  EXPECT_TRUE(canPassThrough(withRecord(66, 0xc0).get(), baseline, {}));
  EXPECT_FALSE(canPassThrough(withRecord(100, 0).get(), baseline, {}));

  // The profiles beyond High read as themselves (pbutils), each fitting a promise of itself or
  // more, and none fitting a High promise.
  OutputTrack high{.mid = "v", .codec = "h264", .fmtp = "profile-level-id=640028"};
  OutputTrack high10{.mid = "v", .codec = "h264", .fmtp = "profile-level-id=6e0028"};
  OutputTrack high422{.mid = "v", .codec = "h264", .fmtp = "profile-level-id=7a0028"};
  OutputTrack high444{.mid = "v", .codec = "h264", .fmtp = "profile-level-id=f40028"};
  EXPECT_FALSE(canPassThrough(withRecord(110, 0).get(), high, {})) << "High 10 is not High";
  EXPECT_TRUE(canPassThrough(withRecord(110, 0).get(), high10, {}));
  EXPECT_FALSE(canPassThrough(withRecord(122, 0).get(), high10, {})) << "4:2:2 is not High 10";
  EXPECT_TRUE(canPassThrough(withRecord(122, 0).get(), high422, {}));
  EXPECT_FALSE(canPassThrough(withRecord(244, 0).get(), high422, {}));
  EXPECT_TRUE(canPassThrough(withRecord(244, 0).get(), high444, {}));
  EXPECT_TRUE(canPassThrough(withRecord(100, 0).get(), high444, {}));
  EXPECT_TRUE(canPassThrough(withRecord(100, 0x08).get(), high, {})) << "progressive High";
}

TEST(PassThrough, TheCapsABranchAcceptsFollowTheFmtpsProfile) {
  OutputTrack high10{.mid = "v", .codec = "h264", .fmtp = "profile-level-id=6e0028"};
  const auto accepted = acceptedCaps(high10, {});
  // The first structure is what passes through; the rest is decoded and encoded again.
  auto passed = GRef<GstCaps>::adopt(gst_caps_copy_nth(accepted.get(), 0));
  EXPECT_TRUE(gst_caps_can_intersect(passed.get(), caps("video/x-h264,profile=high-10").get()));
  EXPECT_TRUE(gst_caps_can_intersect(passed.get(), caps("video/x-h264,profile=main").get()));
  EXPECT_FALSE(gst_caps_can_intersect(passed.get(), caps("video/x-h264,profile=high-4:4:4").get()));
}

TEST(PassThrough, AudioOtherThanTheMediaCodecIsTranscoded) {
  OutputTrack opus{.mid = "a", .type = model::MediaType::Audio, .codec = "opus"};
  EXPECT_TRUE(canPassThrough(caps("audio/x-opus").get(), opus, {}));
  EXPECT_FALSE(canPassThrough(caps("audio/mpeg,mpegversion=4").get(), opus, {}));
  EXPECT_FALSE(canPassThrough(caps("audio/x-raw").get(), opus, {}));
  OutputTrack pcmu{.mid = "a", .type = model::MediaType::Audio, .codec = "pcmu"};
  EXPECT_TRUE(canPassThrough(caps("audio/x-mulaw").get(), pcmu, {}));
}

TEST(OutputBranch, EveryRelayableCodecBuildsABranchWithItsSettings) {
  for (const char* codec : {"h264", "vp8", "vp9", "opus", "pcmu", "pcma", "g722"}) {
    SCOPED_TRACE(codec);
    const bool audio = std::string_view(codec) != "h264" && std::string_view(codec) != "vp8" &&
                       std::string_view(codec) != "vp9";
    OutputTrack track{.mid = "m 1",
                      .type = audio ? model::MediaType::Audio : model::MediaType::Video,
                      .codec = codec,
                      .payloadType = 100,
                      .host = "127.0.0.1",
                      .port = 5004,
                      .ssrc = 1234};
    auto branch = makeOutputBranch(track, caps(audio ? "audio/mpeg" : "video/x-raw").get(), {});
    ASSERT_TRUE(branch.ok()) << branch.error().message;
    EXPECT_STREQ(GST_OBJECT_NAME(branch->get()), "out-m_1");
    auto payloader = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(branch->get()), "pay"));
    guint pt = 0, ssrc = 0, mtu = 0;
    g_object_get(payloader.get(), "pt", &pt, "ssrc", &ssrc, "mtu", &mtu, nullptr);
    EXPECT_EQ(pt, 100u);
    EXPECT_EQ(ssrc, 1234u);
    EXPECT_EQ(mtu, 1200u);
    auto udp = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(branch->get()), "udp"));
    gboolean sync = TRUE, async = TRUE;
    gint port = 0;
    g_object_get(udp.get(), "sync", &sync, "async", &async, "port", &port, nullptr);
    EXPECT_FALSE(sync);
    EXPECT_FALSE(async);
    EXPECT_EQ(port, 5004);
  }
}

TEST(OutputBranch, OneEncodingForSeveralJanusServersIsEncodedOnceAndSentToEach) {
  const OutputTrack own{.mid = "v",
                        .codec = "vp8",
                        .payloadType = 100,
                        .host = "127.0.0.1",
                        .port = 5004,
                        .ssrc = 1234,
                        .rtcpPort = 5005};
  OutputTrack second = own;
  second.host = "127.0.0.2";
  second.port = 6004;
  second.rtcpPort.reset();
  second.output = 1;
  OutputTrack third = own;
  third.port = 7004;
  third.rtcpPort = 7005;
  third.output = 2;
  EXPECT_TRUE(sameEncoding(own, third));
  OutputTrack h264 = own;
  h264.codec = "h264";
  EXPECT_FALSE(sameEncoding(own, h264));

  const std::vector<OutputTrack> destinations{own, second, third};
  auto branch = makeOutputBranch(destinations, caps("video/x-raw").get(), {});
  ASSERT_TRUE(branch.ok()) << branch.error().message;
  EXPECT_STREQ(GST_OBJECT_NAME(branch->get()), "out-v");
  std::map<std::string, int> factories;
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(branch->get()));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElementFactory* factory = gst_element_get_factory(GST_ELEMENT(g_value_get_object(&item)));
    if (factory) ++factories[GST_OBJECT_NAME(factory)];
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  EXPECT_EQ(factories["vp8enc"], 1) << "encoded once";
  EXPECT_EQ(factories["rtpvp8pay"], 1);
  EXPECT_EQ(factories["tee"], 1);
  EXPECT_EQ(factories["rtpbin"], 1) << "one rtpbin, a session per destination with RTCP";
  EXPECT_EQ(factories["udpsrc"], 2) << "Janus's RTCP, from the two with an RTCP port";
  const std::array<std::pair<const char*, int>, 3> sinks{
      {{"udp", 5004}, {"udp-1", 6004}, {"udp-2", 7004}}};
  for (const auto& [name, expected] : sinks) {
    auto udp = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(branch->get()), name));
    ASSERT_TRUE(udp) << name;
    gint port = 0;
    g_object_get(udp.get(), "port", &port, nullptr);
    EXPECT_EQ(port, expected) << name;
  }
  auto rtcp = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(branch->get()), "rtcp-out-2"));
  ASSERT_TRUE(rtcp);
  gint rtcpPort = 0;
  g_object_get(rtcp.get(), "port", &rtcpPort, nullptr);
  EXPECT_EQ(rtcpPort, 7005);

  // Named after the output it first feeds, so that branches of several outputs never clash.
  auto ofSecond = makeOutputBranch(second, caps("video/x-raw").get(), {});
  ASSERT_TRUE(ofSecond.ok());
  EXPECT_STREQ(GST_OBJECT_NAME(ofSecond->get()), "out1-v");
}

// The feed fence (a cluster node past its lease): the sink's counting probe holds packets back
// once the deadline passed, and lets them through again when it moves on.
TEST(FeedFence, PacketsPastTheDeadlineAreHeldBackAtTheSink) {
  auto sink = GRef<GstElement>::adopt(gst_element_factory_make("fakesink", nullptr));
  ASSERT_TRUE(sink);
  g_object_set(sink.get(), "signal-handoffs", TRUE, "sync", FALSE, "async", FALSE, nullptr);
  int rendered = 0;
  g_signal_connect(sink.get(), "handoff",
                   G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer count) {
                     ++*static_cast<int*>(count);
                   }),
                   &rendered);
  TrackCounters counters;
  countPacketsInto(sink.get(), &counters, nullptr);
  ASSERT_EQ(gst_element_set_state(sink.get(), GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  auto source = GRef<GstPad>::adopt(gst_pad_new("src", GST_PAD_SRC));
  auto sinkPad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink.get(), "sink"));
  gst_pad_set_active(source.get(), TRUE);
  ASSERT_EQ(gst_pad_link(source.get(), sinkPad.get()), GST_PAD_LINK_OK);
  gst_pad_push_event(source.get(), gst_event_new_stream_start("fence"));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(source.get(), gst_event_new_segment(&segment));
  auto push = [&] {
    return gst_pad_push(source.get(), gst_buffer_new_allocate(nullptr, 100, nullptr));
  };

  EXPECT_EQ(push(), GST_FLOW_OK);
  EXPECT_EQ(rendered, 1);
  const std::uint64_t heldBefore = packetsHeldBack();
  setFeedDeadline(g_get_monotonic_time());  // the lease may have lapsed: nothing leaves
  EXPECT_EQ(push(), GST_FLOW_OK);
  EXPECT_EQ(push(), GST_FLOW_OK);
  EXPECT_EQ(rendered, 1);
  EXPECT_EQ(counters.packets.load(), 1u) << "held back, not counted as sent";
  EXPECT_EQ(packetsHeldBack() - heldBefore, 2u);
  setFeedDeadline(g_get_monotonic_time() + 60'000'000);  // renewed
  EXPECT_EQ(push(), GST_FLOW_OK);
  EXPECT_EQ(rendered, 2);
  setFeedDeadline(0);
  gst_element_set_state(sink.get(), GST_STATE_NULL);
}

TEST(RelayErrors, WhatIsWorthARestart) {
  auto error = [](GQuark domain, int code) {
    return GUnique<GError>::adopt(g_error_new_literal(domain, code, "x"));
  };
  EXPECT_FALSE(supervisor::isRetryable(error(GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN).get()));
  EXPECT_FALSE(
      supervisor::isRetryable(error(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED).get()));
  EXPECT_FALSE(
      supervisor::isRetryable(error(GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND).get()));
  EXPECT_TRUE(
      supervisor::isRetryable(error(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ).get()));
  EXPECT_TRUE(supervisor::isRetryable(error(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ).get()));
  EXPECT_TRUE(supervisor::isRetryable(error(GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED).get()));
  EXPECT_TRUE(supervisor::isRetryable(error(GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION).get()));
}

}  // namespace
}  // namespace su::media
