// Which of a VideoRoom publisher's streams go to which mountpoint port: the n-th audio (video,
// data) media of the mountpoint takes the publisher's n-th enabled stream of that type, with the
// mountpoint's payload type, and video's RTCP port so that viewers' keyframe requests reach the
// publisher.
#pragma once

#include <vector>

#include "core/result.hpp"
#include "janus/videoroom.hpp"
#include "model/broadcast_request.hpp"
#include "model/broadcast_result.hpp"

namespace su::orchestrator {

// The rtp_forward request (room secret and admin key from the request's room_spec), or an error
// naming each mountpoint media the publisher has no stream for.
Result<model::RtpForwardRequestSpec> planForward(const model::BroadcastRequest& request,
                                                 std::int64_t room,
                                                 const std::vector<model::MountPointPort>& ports,
                                                 const janus::RoomPublisher& publisher);

}  // namespace su::orchestrator
