// What a running Broadcast does when Janus comes back after the session was lost: Janus may
// have restarted and forgotten the mountpoint, the room and the forwarders. The relay keeps
// sending to the same ports, so a mountpoint recreated with its id and ports is fed again at
// once; a room flow gets its room and watcher back and forwards the publisher when it
// publishes again (its WebRTC session died with Janus too).
#include <algorithm>

#include "core/log.hpp"
#include "janus/errors.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"
#include "orchestrator/broadcast.hpp"
#include "orchestrator/broadcast_steps.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

void Broadcast::restore() {
  if (cleanupPending()) {
    retryCleanup();
    return;
  }
  if (result_.state != model::RunState::Running && result_.state != model::RunState::Retrying) {
    return;  // a start in progress fails (and undoes itself) on its own lost requests
  }
  restoreTimer_.cancel();  // Janus is back again: start over, without waiting
  restoreDelay_ = Milliseconds{0};
  event("janus_restored");
  setState(model::RunState::Retrying);
  runRestore();
}

void Broadcast::runRestore() {
  restoreMountpoint([this] {
    restoreRoom([this] {
      restoreDelay_ = Milliseconds{0};
      // A room flow runs again once its publisher is forwarded again (onPublished).
      if (!fromRoom(request_) && result_.state == model::RunState::Retrying &&
          (!relay_ || relay_->state() == model::RunState::Running)) {
        setState(model::RunState::Running);
      }
    });
  });
}

void Broadcast::restoreFailed(const Error& error) {
  restoreDelay_ = restoreDelay_.count() == 0
                      ? options_.restoreRetry
                      : std::min(restoreDelay_ * 2, options_.restoreRetryMax);
  GST_WARNING("broadcast %s: restoring after Janus came back failed (again in %lld ms): %s",
              id_.c_str(), static_cast<long long>(restoreDelay_.count()),
              model::redactText(error.message).c_str());
  if (observer_.onError) observer_.onError(id_, "restore", error);
  restoreTimer_ = Source::timeout(
      context_.get(), restoreDelay_,
      [this] {
        if (result_.state == model::RunState::Retrying) {
          event("restore_retry");
          runRestore();
        }
        return false;
      },
      "su-broadcast-restore-retry");
}

void Broadcast::restoreMountpoint(Next next) {
  if (!result_.mountpoint || !result_.mountpoint->created || result_.mountpoint->id == 0) {
    next();  // someone else's mountpoint, or none
    return;
  }
  const std::int64_t id = result_.mountpoint->id;
  std::weak_ptr<bool> alive = alive_;
  backends_.streaming.info(
      id, request_.mountpointSpec->secret,
      [this, alive, id, next](Result<janus::MountPointInfo> info) {
        if (alive.expired() || !active()) return;
        if (info) {
          next();  // Janus kept it: only the connection was lost
          return;
        }
        if (!janus::isPluginError(info.error(), janus::kStreamingNoSuchMountpoint)) {
          restoreFailed(info.error());
          return;
        }
        // The same mountpoint again: its id, and the ports Janus gave it the first time.
        model::MountPoint spec = *request_.mountpointSpec;
        spec.id = id;
        for (model::MediaTrack& media : spec.media) {
          for (const model::MountPointPort& port : result_.mountpoint->media) {
            if (!media.mid || port.mid != *media.mid) continue;
            media.port = port.port;
            media.rtcpPort = port.rtcpPort;
            media.port2 = port.port2;
            media.port3 = port.port3;
          }
        }
        backends_.streaming.create(
            spec, [this, alive, id, next](Result<janus::MountPointCreated> created) {
              if (alive.expired()) return;
              if (!active()) {
                // Stopped meanwhile, its cleanup done: this one is left to undo.
                if (created && request_.ownedByApp) mountpointDestroyer(id)([](Result<void>) {});
                return;
              }
              if (!created) {
                restoreFailed(created.error());
                return;
              }
              result_.mountpoint->raw = created->raw;
              event("mountpoint_recreated", details(json::ObjectWriter().set("id", id)));
              next();
            });
      });
}

void Broadcast::restoreRoom(Next next) {
  if (!fromRoom(request_) || !result_.room) {
    next();
    return;
  }
  forwardLive_ = false;  // forwarders do not survive Janus, nor does the publisher's session
  const std::int64_t room = roomId();
  const auto pin = request_.roomSpec ? request_.roomSpec->pin : std::nullopt;
  std::weak_ptr<bool> alive = alive_;
  auto rewatch = [this, alive, room, pin, next] {
    backends_.videoroom->watch(
        room, pin, [this, alive, next](Result<std::unique_ptr<janus::RoomWatcher>> watcher) {
          if (alive.expired() || !active()) return;
          if (!watcher) {
            restoreFailed(watcher.error());
            return;
          }
          adoptWatcher(std::move(watcher).value());
          event("room_watched_again", details(json::ObjectWriter().set("room", roomId())));
          for (const janus::RoomPublisher& publisher : watcher_->publishers())
            onPublished(publisher);
          next();
        });
  };
  if (!request_.roomSpec) {
    rewatch();  // a room that is not ours comes back (or not) without us
    return;
  }
  backends_.videoroom->ensure(
      *request_.roomSpec, [this, alive, room, rewatch](Result<janus::RoomEnsured> ensured) {
        if (alive.expired()) return;
        if (!active()) {
          // Stopped meanwhile, its cleanup done: a room made now is left to undo.
          if (ensured && ensured->created && result_.room->created && request_.ownedByApp) {
            roomDestroyer()([](Result<void>) {});
          }
          return;
        }
        if (!ensured) {
          restoreFailed(ensured.error());
          return;
        }
        if (ensured->created) {
          event("room_recreated", details(json::ObjectWriter().set("room", room)));
        }
        rewatch();
      });
}

}  // namespace su::orchestrator
