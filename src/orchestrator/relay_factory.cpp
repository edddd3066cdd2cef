#include "orchestrator/relay_factory.hpp"

#include "core/uri.hpp"
#include "supervisor/ffmpeg_relay.hpp"

namespace su::orchestrator {

namespace {

enum class FactoryError { NoSource = 1 };
GQuark errorDomainOf(FactoryError) {
  return g_quark_from_static_string("su-relay-factory-error");
}

Error noSource(const model::BroadcastRequest& request, const char* what) {
  return makeError(FactoryError::NoSource, std::string("source_kind ") +
                                               std::string(model::nameOf(request.sourceKind)) +
                                               " has no " + what);
}

// ffmpeg takes RTSP credentials in the URL (masked again wherever it is shown).
std::string withCredentials(const model::RtspCameraConfig& camera) {
  if (!camera.username) return camera.url;
  return uri::withUser(camera.url, *camera.username, camera.password);
}

}  // namespace

std::vector<std::string> ffmpegRtspOptions(const model::RtspCameraConfig& camera) {
  std::vector<std::string> options;
  switch (camera.transport) {
    case model::RtspTransport::Tcp:
      options = {"-rtsp_transport", "tcp"};
      break;
    case model::RtspTransport::Udp:
      options = {"-rtsp_transport", "udp"};
      break;
    case model::RtspTransport::UdpMulticast:
      options = {"-rtsp_transport", "udp_multicast"};
      break;
    case model::RtspTransport::Auto:
      break;  // ffmpeg's own order: UDP, then TCP
  }
  // Socket I/O timeout, in microseconds: a camera that goes quiet ends the run (and is retried).
  options.push_back("-timeout");
  options.push_back(std::to_string(static_cast<std::int64_t>(camera.timeoutSeconds * 1e6)));
  return options;
}

Result<media::SourceSpec> relaySource(const model::BroadcastRequest& request) {
  if (request.gstreamerPipeline) return media::CustomSource{*request.gstreamerPipeline};
  switch (request.sourceKind) {
    case model::SourceKind::TestPattern:
      return media::TestPatternSource{};
    case model::SourceKind::Obs:
    case model::SourceKind::RtmpExternal:
      if (!request.srs) return noSource(request, "srs ingest");
      return media::RtmpSource{request.srs->publishUrl()};
    case model::SourceKind::RtspCamera:
      if (!request.rtspCamera) return noSource(request, "rtsp_camera");
      return media::RtspSource{*request.rtspCamera};
    case model::SourceKind::Uri:
      if (!request.inputUrl) return noSource(request, "input_url");
      return media::UriSource{*request.inputUrl};
    default:
      return noSource(request, "relayable source");
  }
}

Result<std::unique_ptr<supervisor::Relay>> DefaultRelayFactory::create(
    const std::string& name, const model::BroadcastRequest& request,
    std::vector<media::OutputTrack> tracks, supervisor::StateCallback onState) {
  supervisor::RelayOptions options = options_;
  if (request.stallTimeoutMs) options.stallTimeout = Milliseconds(*request.stallTimeoutMs);
  if (request.effectiveRelayKind() == model::RelayKind::Ffmpeg) {
    supervisor::FfmpegInput input;
    if (request.srs) {
      input.url = request.srs->publishUrl();
    } else if (request.rtspCamera) {
      input.url = withCredentials(*request.rtspCamera);
      input.options = ffmpegRtspOptions(*request.rtspCamera);
    } else if (request.inputUrl) {
      input.url = *request.inputUrl;
    } else {
      return noSource(request, "input ffmpeg can read");
    }
    auto relay = supervisor::FfmpegRelay::create(context_, name, std::move(input),
                                                 std::move(tracks), options, std::move(onState));
    if (!relay) return relay.error();
    return std::unique_ptr<supervisor::Relay>(std::move(relay).value());
  }
  auto source = relaySource(request);
  if (!source) return source.error();
  auto relay = supervisor::PipelineRelay::create(context_, name, std::move(source).value(),
                                                 std::move(tracks), options, std::move(onState));
  if (!relay) return relay.error();
  return std::unique_ptr<supervisor::Relay>(std::move(relay).value());
}

}  // namespace su::orchestrator
