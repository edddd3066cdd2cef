// The room flows' steps of a Broadcast (videoroom, browser_webrtc): the room, the watcher in it,
// the publisher, and its forward into the mountpoint, again after each republish.
#include "core/log.hpp"
#include "json/writer.hpp"
#include "orchestrator/broadcast.hpp"
#include "orchestrator/broadcast_steps.hpp"
#include "orchestrator/room_forward.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

// --- the room and its publisher -----------------------------------------------------------------

std::int64_t Broadcast::roomId() const {
  if (request_.roomSpec && request_.roomSpec->room) return *request_.roomSpec->room;
  return request_.roomId.value_or(0);
}

janus::RoomAccess Broadcast::roomAccess() const {
  if (!request_.roomSpec) return {};
  return {.secret = request_.roomSpec->secret, .adminKey = request_.roomSpec->adminKey};
}

bool Broadcast::wanted(const janus::RoomPublisher& publisher) const {
  if (request_.publisherId) return publisher.id == *request_.publisherId;
  return request_.publisherDisplay && publisher.display == *request_.publisherDisplay;
}

std::string Broadcast::publisherName() const {
  if (request_.publisherId) return "publisher " + std::to_string(*request_.publisherId);
  return "publisher \"" + request_.publisherDisplay.value_or("") + "\"";
}

void Broadcast::ensureRoom(Next next) {
  if (!fromRoom(request_)) {
    next();
    return;
  }
  if (!backends_.videoroom) {
    fail("room", makeError(BroadcastError::Unsupported,
                           "source_kind " + std::string(model::nameOf(request_.sourceKind)) +
                               " needs the VideoRoom plugin, and none was given"));
    return;
  }
  const std::int64_t room = roomId();
  std::weak_ptr<bool> alive = alive_;
  if (!request_.roomSpec) {
    // Nothing to create it from: it must exist.
    backends_.videoroom->exists(room, [this, alive, room, next](Result<bool> exists) {
      if (!starting(alive)) return;
      if (!exists) {
        fail("room", exists.error());
      } else if (!*exists) {
        fail("room", makeError(BroadcastError::NoRoom,
                               "room " + std::to_string(room) +
                                   " does not exist (give room_spec to have it created)"));
      } else {
        result_.room = model::RoomSection{.roomId = room, .created = false};
        next();
      }
    });
    return;
  }
  const Lifecycle::Closer destroy = roomDestroyer();
  backends_.videoroom->ensure(
      *request_.roomSpec, [this, alive, room, destroy, next](Result<janus::RoomEnsured> ensured) {
        const bool ours = ensured && ensured->created && request_.ownedByApp;
        if (!starting(alive)) {
          if (!alive.expired() && ours) destroy([](Result<void>) {});  // interrupted meanwhile
          return;
        }
        if (!ensured) {
          fail("room", ensured.error());
          return;
        }
        result_.room =
            model::RoomSection{.roomId = room, .created = ensured->created, .raw = ensured->raw};
        event(ensured->created ? "room_created" : "room_found",
              details(json::ObjectWriter().set("room", room)));
        if (ours) lifecycle_.add("destroy room " + std::to_string(room), destroy);
        next();
      });
}

Lifecycle::Closer Broadcast::roomDestroyer() const {
  janus::VideoRoomBackend& videoroom = *backends_.videoroom;
  const std::int64_t room = roomId();
  const auto secret = request_.roomSpec->secret;
  const bool permanent = request_.roomSpec->permanent.value_or(false);
  return [&videoroom, room, secret, permanent](Lifecycle::Done done) {
    videoroom.destroy(room, secret, permanent, [done](Result<janus::Removal> removed) {
      done(removed ? Result<void>() : removed.error());
    });
  };
}

void Broadcast::watchRoom(Next next) {
  if (!fromRoom(request_)) {
    next();
    return;
  }
  const std::int64_t room = roomId();
  const auto pin = request_.roomSpec ? request_.roomSpec->pin : std::nullopt;
  std::weak_ptr<bool> alive = alive_;
  backends_.videoroom->watch(
      room, pin, [this, alive, room, next](Result<std::unique_ptr<janus::RoomWatcher>> watcher) {
        if (!starting(alive)) return;  // a watcher leaves the room as it goes
        if (!watcher) {
          fail("room", watcher.error());
          return;
        }
        adoptWatcher(std::move(watcher).value());
        lifecycle_.add(
            "leave room " + std::to_string(room),
            [this](Lifecycle::Done done) {
              watcher_.reset();
              done(Result<void>());
            },
            "room_left");
        next();
      });
}

void Broadcast::adoptWatcher(std::unique_ptr<janus::RoomWatcher> watcher) {
  watcher_ = std::move(watcher);
  // Handled on the next iteration, outside the watcher's own event dispatch.
  watcher_->setHandlers(
      {.onPublished =
           [this](const janus::RoomPublisher& publisher) {
             deferred_.post([this, publisher] { onPublished(publisher); });
           },
       .onUnpublished =
           [this](std::int64_t id) { deferred_.post([this, id] { onUnpublished(id); }); }});
}

void Broadcast::awaitPublisher(Next next) {
  if (!fromRoom(request_)) {
    next();
    return;
  }
  std::function<void(const janus::RoomPublisher&)> forwardThen =
      [this, next](const janus::RoomPublisher& publisher) {
        forward(publisher, [this, next](Result<void> forwarded) {
          if (!forwarded) {
            fail("forward", forwarded.error());
            return;
          }
          next();
        });
      };
  for (const janus::RoomPublisher& publisher : watcher_->publishers()) {
    if (wanted(publisher)) {
      forwardThen(publisher);
      return;
    }
  }
  event("awaiting_publisher", details(json::ObjectWriter().set("publisher", publisherName())));
  publisherAwaited_ = forwardThen;
  stepTimer_ = Source::timeout(
      context_.get(), options_.publisherTimeout,
      [this] {
        fail("publisher",
             makeError(BroadcastError::NoPublisher,
                       publisherName() + " did not publish in room " + std::to_string(roomId()) +
                           " within " + std::to_string(options_.publisherTimeout.count()) + " ms"));
        return false;
      },
      "su-broadcast-publisher-timeout");
}

void Broadcast::forward(const janus::RoomPublisher& publisher,
                        std::function<void(Result<void>)> done) {
  auto plan = planForward(request_, roomId(), result_.mountpoint->media, publisher);
  if (!plan) {
    done(plan.error());
    return;
  }
  const bool first = !result_.forward;
  std::weak_ptr<bool> alive = alive_;
  backends_.videoroom->rtpForward(*plan, [this, alive, first,
                                          done](Result<janus::RtpForwarded> forwarded) {
    if (alive.expired()) return;
    if (!active()) {
      // Stopped (or failed) meanwhile: these forwarders are nobody's to keep.
      if (!forwarded) return;
      for (const model::Forwarder& forwarder : forwarded->forwarders) {
        backends_.videoroom->stopRtpForward(forwarded->room, forwarded->publisherId,
                                            forwarder.streamId, roomAccess(), [](Result<void>) {});
      }
      return;
    }
    if (!forwarded) {
      done(forwarded.error());
      return;
    }
    result_.forward = model::ForwardSection{.roomId = forwarded->room,
                                            .publisherId = forwarded->publisherId,
                                            .forwarders = forwarded->forwarders,
                                            .raw = forwarded->raw};
    forwardLive_ = true;
    event("forwarded",
          details(json::ObjectWriter()
                      .set("publisher_id", forwarded->publisherId)
                      .set("streams", static_cast<std::int64_t>(forwarded->forwarders.size()))));
    if (first && request_.ownedByApp) {
      lifecycle_.add("stop the forwarders",
                     [this](Lifecycle::Done closed) { stopForwarders(std::move(closed)); });
    }
    done(Result<void>());
  });
}

void Broadcast::stopForwarders(Lifecycle::Done done) {
  if (!forwardLive_ || !result_.forward || result_.forward->forwarders.empty()) {
    done(Result<void>());  // none, or they died with their publisher
    return;
  }
  forwardLive_ = false;
  const model::ForwardSection& forward = *result_.forward;
  auto remaining = std::make_shared<std::size_t>(forward.forwarders.size());
  auto failure = std::make_shared<std::optional<Error>>();
  for (const model::Forwarder& forwarder : forward.forwarders) {
    backends_.videoroom->stopRtpForward(
        forward.roomId, forward.publisherId, forwarder.streamId, roomAccess(),
        [done, remaining, failure](Result<void> stopped) {
          // A publisher gone meanwhile took its forwarders along.
          if (!stopped && !janus::isPluginError(stopped.error(), janus::kVideoRoomNoSuchFeed) &&
              !*failure) {
            *failure = stopped.error();
          }
          if (--*remaining == 0) done(*failure ? Result<void>(**failure) : Result<void>());
        });
  }
}

void Broadcast::onPublished(const janus::RoomPublisher& publisher) {
  if (!wanted(publisher)) return;
  if (auto awaited = std::exchange(publisherAwaited_, nullptr)) {
    stepTimer_.cancel();
    awaited(publisher);
    return;
  }
  if (result_.state != model::RunState::Retrying || forwardLive_ || reforwarding_) return;
  // Back after it stopped publishing: forward it again (once, however many events say so).
  reforwarding_ = true;
  std::weak_ptr<bool> alive = alive_;
  forward(publisher, [this, alive, id = publisher.id](Result<void> forwarded) {
    if (alive.expired()) return;
    reforwarding_ = false;
    if (result_.state != model::RunState::Retrying) return;
    if (!forwarded) {
      if (observer_.onError) observer_.onError(id_, "forward", forwarded.error());
      return;  // still retrying: the next publish tries again
    }
    event("forward_restored", details(json::ObjectWriter().set("publisher_id", id)));
    if (observer_.onMetric) observer_.onMetric("forward_restarts", 1, {{"broadcast_id", id_}});
    setState(model::RunState::Running);
  });
}

void Broadcast::onUnpublished(std::int64_t publisherId) {
  if (!forwardLive_ || !result_.forward || result_.forward->publisherId != publisherId) return;
  forwardLive_ = false;  // Janus dropped the forwarders with the stream
  event("publisher_left", details(json::ObjectWriter().set("publisher_id", publisherId)));
  if (result_.state == model::RunState::Running) setState(model::RunState::Retrying);
}

}  // namespace su::orchestrator
