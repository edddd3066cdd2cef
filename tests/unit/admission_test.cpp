// Admission: which work a request's relay does, and what the node refuses. Pure, so exact.
#include "service/admission.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "model/decode.hpp"

namespace su::service {
namespace {

model::BroadcastRequest request(const std::string& json) {
  auto decoded = model::decodeText<model::BroadcastRequest>(json, "broadcast request");
  EXPECT_TRUE(decoded) << decoded.error().describe();
  return decoded ? *decoded : model::BroadcastRequest{};
}

std::string withMedia(const std::string& source, const std::string& media,
                      const std::string& extra = "") {
  return R"({"source_kind":")" + source + R"(",)" + extra +
         R"("mountpoint_spec":{"id":1,"media":[)" + media + "]}}";
}

constexpr const char* kOpus = R"({"type":"audio","codec":"opus"})";
constexpr const char* kPcma = R"({"type":"audio","codec":"pcma"})";
constexpr const char* kH264 = R"({"type":"video","codec":"h264"})";
constexpr const char* kVp8 = R"({"type":"video","codec":"vp8"})";

TEST(Admission, TheWorkIsJudgedFromTheRequest) {
  const std::string rtmp = R"("srs":{"publish_url":"rtmp://127.0.0.1/live/k"},)";
  EXPECT_EQ(relayWorkOf(request(withMedia("frontend_owned", kH264))), RelayWork::None);
  EXPECT_EQ(
      relayWorkOf(request(withMedia("rtmp_external", std::string(kOpus) + "," + kH264, rtmp))),
      RelayWork::AudioTranscode)
      << "RTMP carries AAC";
  EXPECT_EQ(relayWorkOf(request(withMedia("rtmp_external", kH264, rtmp))), RelayWork::Passthrough);
  EXPECT_EQ(relayWorkOf(request(withMedia("rtmp_external", kVp8, rtmp))),
            RelayWork::VideoTranscode);
  const std::string camera = R"("rtsp_camera":{"url":"rtsp://127.0.0.1/cam"},)";
  EXPECT_EQ(
      relayWorkOf(request(withMedia("rtsp_camera", std::string(kPcma) + "," + kH264, camera))),
      RelayWork::Passthrough)
      << "a camera's G.711 goes through";
  EXPECT_EQ(
      relayWorkOf(request(withMedia("rtsp_camera", std::string(kOpus) + "," + kH264, camera))),
      RelayWork::AudioTranscode);
  EXPECT_EQ(relayWorkOf(request(withMedia("test_pattern", std::string(kOpus) + "," + kH264))),
            RelayWork::VideoTranscode)
      << "the pattern is encoded";
}

TEST(Admission, TheCountAndTheBudgetEachRefuseWithTheirFigures) {
  const AdmissionPolicy policy{
      .maxBroadcasts = 3,
      .cpuBudgetPercent = 40,
      .costs = {.passthrough = 1, .audioTranscode = 3, .videoTranscode = 30}};
  EXPECT_EQ(refusal(policy, {.broadcasts = 1, .cpuPercent = 3}, RelayWork::VideoTranscode),
            std::nullopt);
  EXPECT_EQ(refusal(policy, {.broadcasts = 2, .cpuPercent = 33}, RelayWork::VideoTranscode),
            "over the CPU budget: a video_transcode broadcast costs 30.0 % of a core, 33.0 of "
            "40.0 % are taken");
  EXPECT_EQ(refusal(policy, {.broadcasts = 2, .cpuPercent = 33}, RelayWork::AudioTranscode),
            std::nullopt)
      << "a cheaper one still fits";
  EXPECT_EQ(refusal(policy, {.broadcasts = 3, .cpuPercent = 3}, RelayWork::None),
            "at capacity: 3 of 3 broadcasts");
  EXPECT_EQ(refusal({}, {.broadcasts = 1000, .cpuPercent = 1e6}, RelayWork::VideoTranscode),
            std::nullopt)
      << "no limits";
}

TEST(Admission, TheLoadCountsActiveBroadcastsAtTheirCost) {
  model::BroadcastResult running{.request = request(withMedia("test_pattern", kH264)),
                                 .state = model::RunState::Running};
  model::BroadcastResult retrying{
      .request = request(withMedia("rtmp_external", std::string(kOpus) + "," + kH264,
                                   R"("srs":{"publish_url":"rtmp://127.0.0.1/live/k"},)")),
      .state = model::RunState::Retrying};
  model::BroadcastResult stopped = running;
  stopped.state = model::RunState::Stopped;
  const NodeLoad load = loadOf({running, retrying, stopped}, RelayCosts{});
  EXPECT_EQ(load.broadcasts, 2);
  EXPECT_DOUBLE_EQ(load.cpuPercent, RelayCosts{}.videoTranscode + RelayCosts{}.audioTranscode);
}

TEST(Admission, DescriptorsAreCountedAndTooFewLeftRefuseOneMore) {
  const Descriptors now = descriptorsNow();
  EXPECT_GT(now.open, 2) << "stdin, stdout and stderr at least";
  EXPECT_GT(now.limit, now.open);
  const int fd = dup(1);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(descriptorsNow().open, now.open + 1);
  close(fd);

  EXPECT_EQ(descriptorRefusal({.open = 40, .limit = 1024}), std::nullopt);
  EXPECT_EQ(descriptorRefusal({.open = 1024 - kDescriptorsForOneMore, .limit = 1024}),
            std::nullopt);
  EXPECT_EQ(descriptorRefusal({.open = 1000, .limit = 1024}),
            "too few file descriptors left: 1000 of 1024 open, a broadcast needs 64 (raise "
            "LimitNOFILE)");
  EXPECT_EQ(descriptorRefusal({.open = 10, .limit = 0}), std::nullopt) << "a limit not known";
}

}  // namespace
}  // namespace su::service
