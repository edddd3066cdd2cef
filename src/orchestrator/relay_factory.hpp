// How a broadcast gets its relay: the relay kind and source the request asks for, fed into the
// mountpoint's ports. An interface so that tests can make a relay fail to start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "media/output.hpp"
#include "model/broadcast_request.hpp"
#include "supervisor/relay.hpp"

namespace su::orchestrator {

class RelayFactory {
 public:
  virtual ~RelayFactory() = default;
  // A relay (not started) named `name` feeding `tracks`; fails on what no retry would fix.
  virtual Result<std::unique_ptr<supervisor::Relay>> create(const std::string& name,
                                                            const model::BroadcastRequest& request,
                                                            std::vector<media::OutputTrack> tracks,
                                                            supervisor::StateCallback onState) = 0;
};

// The real one: PipelineRelay for relay_kind gstreamer, FfmpegRelay for ffmpeg.
class DefaultRelayFactory final : public RelayFactory {
 public:
  DefaultRelayFactory(GMainContext* context, supervisor::RelayOptions options)
      : context_(context), options_(std::move(options)) {}
  Result<std::unique_ptr<supervisor::Relay>> create(const std::string& name,
                                                    const model::BroadcastRequest& request,
                                                    std::vector<media::OutputTrack> tracks,
                                                    supervisor::StateCallback onState) override;

 private:
  GMainContext* context_;
  supervisor::RelayOptions options_;
};

// What a relay reads for `request` (the in-process source).
Result<media::SourceSpec> relaySource(const model::BroadcastRequest& request);
// ffmpeg's input options for a camera: its transport and its timeout.
std::vector<std::string> ffmpegRtspOptions(const model::RtspCameraConfig& camera);

}  // namespace su::orchestrator
