#include "orchestrator/room_forward.hpp"

#include <map>

#include "orchestrator/errors.hpp"

namespace su::orchestrator {

Result<model::RtpForwardRequestSpec> planForward(const model::BroadcastRequest& request,
                                                 std::int64_t room,
                                                 const std::vector<model::MountPointPort>& ports,
                                                 const janus::RoomPublisher& publisher) {
  model::RtpForwardRequestSpec forward{
      .room = room, .publisherId = publisher.id, .host = request.host};
  if (request.roomSpec) {
    forward.secret = request.roomSpec->secret;
    forward.adminKey = request.roomSpec->adminKey;
  }
  // The publisher's enabled streams, per type, in the order it published them.
  std::map<model::MediaType, std::vector<const janus::PublishedStream*>> offered;
  for (const janus::PublishedStream& stream : publisher.streams) {
    if (!stream.disabled) offered[stream.type].push_back(&stream);
  }
  std::map<model::MediaType, std::size_t> taken;
  std::string missing;
  for (const model::MountPointPort& port : ports) {
    const std::size_t index = taken[port.type]++;
    const auto& candidates = offered[port.type];
    if (index >= candidates.size()) {
      missing += std::string(missing.empty() ? "" : ", ") + std::string(model::nameOf(port.type)) +
                 " media " + port.mid + " (port " + std::to_string(port.port) + ")";
      continue;
    }
    model::RtpForwardStreamSpec stream{.mid = candidates[index]->mid, .port = port.port};
    if (request.mountpointSpec) {
      for (const model::MediaTrack& track : request.mountpointSpec->media) {
        if (track.mid == port.mid) stream.pt = track.pt;
      }
    }
    if (port.type == model::MediaType::Video) stream.rtcpPort = port.rtcpPort;
    forward.streams.push_back(std::move(stream));
  }
  if (!missing.empty()) {
    return makeError(
        BroadcastError::PublisherMismatch,
        "publisher " + std::to_string(publisher.id) + " publishes no stream for " + missing);
  }
  return forward;
}

}  // namespace su::orchestrator
