// What the step files of a Broadcast share (internal: not installed).
#pragma once

#include "json/value.hpp"
#include "json/writer.hpp"
#include "model/broadcast_request.hpp"
#include "orchestrator/errors.hpp"

namespace su::orchestrator {

inline json::Value details(const json::ObjectWriter& writer) {
  return json::Value::of(writer.node());
}

inline Error stoppedWhileStarting() {
  return makeError(BroadcastError::Stopped, "stopped while starting");
}

inline bool relayed(const model::BroadcastRequest& request) {
  return request.effectiveRelayKind() != model::RelayKind::None;
}

inline bool fromRoom(const model::BroadcastRequest& request) {
  return request.sourceKind == model::SourceKind::VideoRoom ||
         request.sourceKind == model::SourceKind::BrowserWebrtc;
}

// Whether Janus should see media on the mountpoint once the broadcast runs.
inline bool expectsMedia(const model::BroadcastRequest& request) {
  return relayed(request) || fromRoom(request);
}

// What Janus is asked to create for `wanted` (the broadcast's mountpoint_spec, or an output's).
model::MountPoint mountpointToCreate(const model::BroadcastRequest& request,
                                     const model::MountPoint& wanted);

}  // namespace su::orchestrator
