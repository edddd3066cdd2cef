// The exact Janus request bodies the models stand for (Janus 1.x, see shared/notes/janus.md).
// Call them on normalized, validated models: what they leave out, Janus defaults.
#pragma once

#include <span>
#include <string_view>

#include "model/mountpoint.hpp"
#include "model/room.hpp"
#include "model/rtp_forward.hpp"

namespace su::model {

// Streaming `create`: the multistream `media` form for rtp, the flat form for rtsp, live and
// ondemand. `extra` is merged last and never overrides a modelled field.
GRef<JsonNode> streamingCreateBody(const MountPoint& mountpoint);
// VideoRoom `create`.
GRef<JsonNode> videoRoomCreateBody(const RoomSpec& room);
// VideoRoom `rtp_forward`.
GRef<JsonNode> rtpForwardBody(const RtpForwardRequestSpec& forward);

// The top-level keys those bodies produce from modelled fields: `extra` may not use them.
std::span<const std::string_view> streamingCreateKeys();
std::span<const std::string_view> videoRoomCreateKeys();

}  // namespace su::model
