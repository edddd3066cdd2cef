// What a running Broadcast does when Janus comes back after the session was lost: Janus may
// have restarted and forgotten the mountpoint, the room and the forwarders. The relay keeps
// sending to the same ports, so a mountpoint recreated with its id and ports is fed again at
// once; a room flow gets its room and watcher back and forwards the publisher when it
// publishes again (its WebRTC session died with Janus too). A stopped or failed broadcast whose
// cleanup could not reach Janus runs that cleanup instead.
#include <algorithm>

#include "core/log.hpp"
#include "janus/errors.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"
#include "orchestrator/broadcast.hpp"
#include "orchestrator/broadcast_steps.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

bool Broadcast::janusBack() {
  if (cleanupPending()) {
    if (!cleanupTask_.busy()) {
      cleanupTask_ = retryCleanup();
      cleanupTask_.start(context_.get());
    }
    return false;
  }
  // A start in progress fails (and undoes itself) on its own lost requests.
  return result_.state == model::RunState::Running || result_.state == model::RunState::Retrying;
}

void Broadcast::restore() {
  if (!janusBack()) return;
  event("janus_restored");
  setState(model::RunState::Retrying);
  // Replaces a restore that waits to try again: Janus is back again, start over at once. (Its
  // requests went with the connection, so none of them can still succeed unseen.)
  restoreTask_ = restoring();
  restoreTask_.start(context_.get());
}

Task<void> Broadcast::restoring() {
  Milliseconds wait{0};
  for (;;) {
    const Result<void> restored = co_await restoreSteps();
    if (restored || !active()) co_return {};
    wait = wait.count() == 0 ? options_.restoreRetry : std::min(wait * 2, options_.restoreRetryMax);
    GST_WARNING("broadcast %s: restoring after Janus came back failed (again in %lld ms): %s",
                id_.c_str(), static_cast<long long>(wait.count()),
                model::redactText(restored.error().message).c_str());
    if (observer_.onError) observer_.onError(id_, "restore", restored.error());
    if (!co_await pause(wait) || result_.state != model::RunState::Retrying) co_return {};
    event("restore_retry");
  }
}

Task<void> Broadcast::restoreSteps() {
  if (auto mountpoint = co_await restoreMountpoint(); !mountpoint) co_return mountpoint;
  if (auto room = co_await restoreRoom(); !room) co_return room;
  // A room flow runs again once its publisher is forwarded again (onPublished).
  if (!fromRoom(request_) && result_.state == model::RunState::Retrying &&
      (!relay_ || relay_->state() == model::RunState::Running)) {
    setState(model::RunState::Running);
  }
  co_return {};
}

Task<void> Broadcast::restoreMountpoint() {
  if (!result_.mountpoint || !result_.mountpoint->created || result_.mountpoint->id == 0) {
    co_return {};  // someone else's mountpoint, or none
  }
  auto recreated = co_await recreateMountpoint(backends_.streaming, *request_.mountpointSpec,
                                               *result_.mountpoint);
  if (!recreated) co_return recreated.error();
  if (*recreated) {
    event("mountpoint_recreated", details(json::ObjectWriter().set("id", result_.mountpoint->id)));
  }
  co_return {};
}

Task<bool> Broadcast::recreateMountpoint(janus::StreamingBackend& streaming,
                                         const model::MountPoint& wanted,
                                         model::MountPointSection& section) {
  const std::int64_t id = section.id;
  auto info = co_await call<janus::MountPointInfo>([&](Callback<janus::MountPointInfo> done) {
    streaming.info(id, wanted.secret, std::move(done));
  });
  if (!active()) co_return cancelledError();
  if (info) co_return false;  // Janus kept it: only the connection was lost
  if (!janus::isPluginError(info.error(), janus::kStreamingNoSuchMountpoint)) {
    co_return info.error();
  }
  // The same mountpoint again: its id, and the ports Janus gave it the first time.
  model::MountPoint spec = wanted;
  spec.id = id;
  for (model::MediaTrack& media : spec.media) {
    for (const model::MountPointPort& port : section.media) {
      if (!media.mid || port.mid != *media.mid) continue;
      media.port = port.port;
      media.rtcpPort = port.rtcpPort;
      media.port2 = port.port2;
      media.port3 = port.port3;
    }
  }
  auto created = co_await call<janus::MountPointCreated>(
      [&](Callback<janus::MountPointCreated> done) { streaming.create(spec, std::move(done)); });
  if (!active()) {
    // Stopped meanwhile, its cleanup done: this one is left to undo.
    if (created && request_.ownedByApp) tasks_.spawn(destroyMountpointOn(streaming, id, wanted));
    co_return cancelledError();
  }
  if (!created) co_return created.error();
  section.raw = created->raw;
  co_return true;
}

Task<void> Broadcast::restoreRoom() {
  if (!fromRoom(request_) || !result_.room) co_return {};
  forwardLive_ = false;  // forwarders do not survive Janus, nor does the publisher's session
  const std::int64_t room = roomId();
  if (request_.roomSpec) {  // a room that is not ours comes back (or not) without us
    auto ensured = co_await call<janus::RoomEnsured>([&](Callback<janus::RoomEnsured> done) {
      backends_.videoroom->ensure(*request_.roomSpec, std::move(done));
    });
    if (!active()) {
      // Stopped meanwhile, its cleanup done: a room made now is left to undo.
      if (ensured && ensured->created && result_.room->created && request_.ownedByApp) {
        tasks_.spawn(destroyRoom());
      }
      co_return cancelledError();
    }
    if (!ensured) co_return ensured.error();
    if (ensured->created) event("room_recreated", details(json::ObjectWriter().set("room", room)));
  }
  auto watcher = co_await call<std::unique_ptr<janus::RoomWatcher>>(
      [&](Callback<std::unique_ptr<janus::RoomWatcher>> done) {
        backends_.videoroom->watch(room, request_.roomSpec ? request_.roomSpec->pin : std::nullopt,
                                   std::move(done));
      });
  if (!active()) co_return cancelledError();
  if (!watcher) co_return watcher.error();
  adoptWatcher(std::move(watcher).value());
  event("room_watched_again", details(json::ObjectWriter().set("room", room)));
  for (const janus::RoomPublisher& publisher : watcher_->publishers())
    onPublished(publisher);
  co_return {};
}

Task<void> Broadcast::retryCleanup() {
  event("cleanup_retry");
  const std::vector<Error> failures = errorsOf(co_await undoAll());
  reportErrors("cleanup", failures);
  // Still unreachable: the next restore tries again. Refused for good: reported above.
  if (!lifecycle_.empty() || !failures.empty()) co_return {};
  event("cleanup_completed");
  // A stop's only error is its cleanup's, done now; a failed start keeps the reason it failed.
  if (result_.state == model::RunState::Stopped) result_.error.reset();
  co_return {};
}

}  // namespace su::orchestrator
