// Real encoded media for tests: RTP into mountpoint ports, and a WebRTC publisher in a
// VideoRoom (webrtcbin, negotiated through our own Janus client).
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/gref.hpp"
#include "janus/session.hpp"
#include "janus/streaming_viewer.hpp"

namespace su::test {

// Test pattern H.264 (constrained baseline, 1 s GOP, SPS/PPS with every IDR) and Opus, sent as
// RTP to 127.0.0.1.
class RtpSender {
 public:
  struct Target {
    bool video;
    std::uint16_t port;
    int payloadType;
  };
  static std::unique_ptr<RtpSender> start(const std::vector<Target>& targets);
  ~RtpSender();

 private:
  GRef<GstElement> pipeline_;
};

// A VideoRoom publisher: joins a room with our Janus client and publishes H.264 + Opus from
// test sources over webrtcbin.
class VideoRoomPublisher {
 public:
  VideoRoomPublisher(GMainContext* context, std::shared_ptr<janus::Handle> handle);
  ~VideoRoomPublisher();

  // Joins `room` as publisher `id` named `display`, then offers, trickles and applies Janus's
  // answer. `done` once the answer is applied (media flows after "webrtcup").
  void publish(std::int64_t room, std::int64_t id, const std::optional<std::string>& pin,
               Callback<void> done, const std::string& display = "su-test-publisher");
  bool webrtcUp() const noexcept { return webrtcUp_; }
  // The mids of the published streams, from our offer.
  const std::string& audioMid() const noexcept { return audioMid_; }
  const std::string& videoMid() const noexcept { return videoMid_; }
  // Stops sending (unpublish), so that Janus tears the forwarders down.
  void unpublish(Callback<void> done);

 private:
  void startPipeline();
  void createOffer();
  void offerCreated(GstPromise* promise);
  void sendOffer(std::string sdp);
  void applyAnswer(const json::Value& jsep);

  GRef<GMainContext> context_;
  std::shared_ptr<janus::Handle> handle_;
  GRef<GstElement> pipeline_;
  GRef<GstElement> webrtc_;
  Callback<void> published_;
  Source waitForCaps_;
  std::string audioMid_;
  std::string videoMid_;
  bool webrtcUp_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The viewer the tests prove media with is the library's (`streaming-utils watch` uses it too).
using StreamingViewer = janus::StreamingViewer;

}  // namespace su::test
