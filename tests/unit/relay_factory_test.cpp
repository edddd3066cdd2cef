// What the relay factory hands ffmpeg for a camera: pure, so exact.
#include "orchestrator/relay_factory.hpp"

#include <gtest/gtest.h>

namespace su::orchestrator {
namespace {

using Options = std::vector<std::string>;

TEST(RelayFactory, FfmpegGetsTheCamerasTransportAndTimeoutInItsOwnNames) {
  model::RtspCameraConfig camera{.url = "rtsp://127.0.0.1/cam", .timeoutSeconds = 2.5};
  camera.transport = model::RtspTransport::Tcp;
  EXPECT_EQ(ffmpegRtspOptions(camera), (Options{"-rtsp_transport", "tcp", "-timeout", "2500000"}));
  camera.transport = model::RtspTransport::Udp;
  EXPECT_EQ(ffmpegRtspOptions(camera), (Options{"-rtsp_transport", "udp", "-timeout", "2500000"}));
  camera.transport = model::RtspTransport::UdpMulticast;
  EXPECT_EQ(ffmpegRtspOptions(camera),
            (Options{"-rtsp_transport", "udp_multicast", "-timeout", "2500000"}));
  camera.transport = model::RtspTransport::Auto;
  EXPECT_EQ(ffmpegRtspOptions(camera), (Options{"-timeout", "2500000"})) << "ffmpeg's own order";
}

}  // namespace
}  // namespace su::orchestrator
