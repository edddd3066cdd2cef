// The room flows' steps of a Broadcast (videoroom, browser_webrtc): the room, the watcher in it,
// the publisher, and its forward into the mountpoint, again after each republish.
#include <set>

#include "core/log.hpp"
#include "janus/errors.hpp"
#include "json/writer.hpp"
#include "orchestrator/broadcast.hpp"
#include "orchestrator/broadcast_steps.hpp"
#include "orchestrator/room_forward.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

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

// --- the room -----------------------------------------------------------------------------------

Task<void> Broadcast::ensureRoom() {
  if (!fromRoom(request_)) co_return {};
  if (!backends_.videoroom) {
    co_return failure("room",
                      makeError(BroadcastError::Unsupported,
                                "source_kind " + std::string(model::nameOf(request_.sourceKind)) +
                                    " needs the VideoRoom plugin, and none was given"));
  }
  const std::int64_t room = roomId();
  if (!request_.roomSpec) {
    // Nothing to create it from: it must exist.
    auto exists = co_await call<bool>(
        [&](Callback<bool> done) { backends_.videoroom->exists(room, std::move(done)); });
    if (!exists) co_return failure("room", exists.error());
    if (!*exists) {
      co_return failure("room",
                        makeError(BroadcastError::NoRoom,
                                  "room " + std::to_string(room) +
                                      " does not exist (give room_spec to have it created)"));
    }
    result_.room = model::RoomSection{.roomId = room, .created = false};
    co_return {};
  }
  auto ensured = co_await call<janus::RoomEnsured>([&](Callback<janus::RoomEnsured> done) {
    backends_.videoroom->ensure(*request_.roomSpec, std::move(done));
  });
  if (!ensured) co_return failure("room", ensured.error());
  result_.room =
      model::RoomSection{.roomId = room, .created = ensured->created, .raw = ensured->raw};
  event(ensured->created ? "room_created" : "room_found",
        details(json::ObjectWriter().set("room", room)));
  if (ensured->created && request_.ownedByApp) {
    lifecycle_.add("destroy room " + std::to_string(room), [this] { return destroyRoom(); });
  }
  co_return {};
}

Task<void> Broadcast::destroyRoom() {
  const model::RoomSpec& spec = *request_.roomSpec;
  auto removed = co_await call<janus::Removal>([&](Callback<janus::Removal> done) {
    backends_.videoroom->destroy(roomId(), spec.secret, spec.permanent.value_or(false),
                                 std::move(done));
  });
  if (!removed) co_return removed.error();
  co_return {};
}

Task<void> Broadcast::watchRoom() {
  if (!fromRoom(request_)) co_return {};
  const std::int64_t room = roomId();
  auto watcher = co_await call<std::unique_ptr<janus::RoomWatcher>>(
      [&](Callback<std::unique_ptr<janus::RoomWatcher>> done) {
        backends_.videoroom->watch(room, request_.roomSpec ? request_.roomSpec->pin : std::nullopt,
                                   std::move(done));
      });
  if (!watcher) co_return failure("room", watcher.error());
  adoptWatcher(std::move(watcher).value());
  lifecycle_.add(
      "leave room " + std::to_string(room), [this] { return leaveRoom(); }, "room_left");
  co_return {};
}

Task<void> Broadcast::leaveRoom() {
  watcher_.reset();  // a watcher leaves the room as it goes
  co_return {};
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
  publishersChanged_.notify();
}

// --- the publisher ------------------------------------------------------------------------------

Task<void> Broadcast::forwardPublisher() {
  if (!fromRoom(request_)) co_return {};
  if (!wantedPublisher()) {
    event("awaiting_publisher", details(json::ObjectWriter().set("publisher", publisherName())));
  }
  auto publisher =
      co_await anyOf(publisherAppears(), publisherTimeout(),
                     failWhen<janus::RoomPublisher>(stopping_, stoppedWhileStarting()));
  if (!publisher) co_return failure("publisher", publisher.error());
  const Result<void> forwarded = co_await forward(std::move(publisher).value());
  if (!forwarded) co_return failure("forward", forwarded.error());
  co_return {};
}

std::optional<janus::RoomPublisher> Broadcast::wantedPublisher() const {
  if (!watcher_) return std::nullopt;
  for (const janus::RoomPublisher& publisher : watcher_->publishers()) {
    if (wanted(publisher)) return publisher;
  }
  return std::nullopt;
}

Task<janus::RoomPublisher> Broadcast::publisherAppears() {
  for (;;) {
    if (auto publisher = wantedPublisher()) co_return *publisher;
    co_await publishersChanged_.next();
  }
}

Task<janus::RoomPublisher> Broadcast::publisherTimeout() {
  co_await sleep(options_.publisherTimeout);
  co_return makeError(BroadcastError::NoPublisher,
                      publisherName() + " did not publish in room " + std::to_string(roomId()) +
                          " within " + std::to_string(options_.publisherTimeout.count()) + " ms");
}

Task<void> Broadcast::forward(janus::RoomPublisher publisher) {
  auto plan = planForward(request_, roomId(), result_.mountpoint->media, publisher);
  if (!plan) co_return plan.error();
  const bool first = !result_.forward;
  if (first && adopt_) {
    if (auto dropped = co_await dropInheritedForwarders(publisher.id); !dropped)
      co_return dropped.error();
  }
  auto forwarded = co_await call<janus::RtpForwarded>([&](Callback<janus::RtpForwarded> done) {
    backends_.videoroom->rtpForward(*plan, std::move(done));
  });
  if (!active()) {
    // Stopped (or failed) meanwhile, its cleanup done: these forwarders are nobody's to keep.
    if (forwarded) {
      for (const model::Forwarder& forwarder : forwarded->forwarders) {
        backends_.videoroom->stopRtpForward(forwarded->room, forwarded->publisherId,
                                            forwarder.streamId, roomAccess(), [](Result<void>) {});
      }
    }
    co_return cancelledError();
  }
  if (!forwarded) co_return forwarded.error();
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
    lifecycle_.add("stop the forwarders", [this] { return stopForwarders(); });
  }
  co_return {};
}

Task<void> Broadcast::dropInheritedForwarders(std::int64_t publisherId) {
  auto listed = co_await call<std::vector<janus::PublisherForwarders>>(
      [&](auto done) { backends_.videoroom->listForwarders(roomId(), roomAccess(), done); });
  if (!listed) co_return listed.error();
  std::set<std::int64_t> ours;
  for (const model::MountPointPort& port : result_.mountpoint->media) {
    for (auto p : {std::optional<std::int64_t>(port.port), port.port2, port.port3})
      if (p) ours.insert(*p);
  }
  int dropped = 0;
  for (const janus::PublisherForwarders& entry : *listed) {
    if (entry.publisherId != publisherId) continue;
    for (const janus::ForwarderEntry& forwarder : entry.forwarders) {
      if (!ours.contains(forwarder.port)) continue;
      const Result<void> stopped = co_await call<void>([&](Callback<void> done) {
        backends_.videoroom->stopRtpForward(roomId(), publisherId, forwarder.streamId, roomAccess(),
                                            std::move(done));
      });
      if (!stopped) co_return stopped.error();
      ++dropped;
    }
  }
  if (dropped > 0)
    event("forwarders_taken_over", details(json::ObjectWriter().set("stopped", dropped)));
  co_return {};
}

Task<void> Broadcast::stopForwarders() {
  if (!forwardLive_ || !result_.forward || result_.forward->forwarders.empty()) {
    co_return {};  // none, or they died with their publisher
  }
  forwardLive_ = false;
  const model::ForwardSection forward = *result_.forward;
  std::optional<Error> failed;
  for (const model::Forwarder& forwarder : forward.forwarders) {
    const Result<void> stopped = co_await call<void>([&](Callback<void> done) {
      backends_.videoroom->stopRtpForward(forward.roomId, forward.publisherId, forwarder.streamId,
                                          roomAccess(), std::move(done));
    });
    // A publisher gone meanwhile took its forwarders along.
    if (!stopped && !janus::isPluginError(stopped.error(), janus::kVideoRoomNoSuchFeed) &&
        !failed) {
      failed = stopped.error();
    }
  }
  if (failed) co_return *failed;
  co_return {};
}

void Broadcast::onPublished(const janus::RoomPublisher& publisher) {
  publishersChanged_.notify();  // the start may be waiting for it
  if (!wanted(publisher) || result_.state != model::RunState::Retrying || forwardLive_ ||
      reforwardTask_.busy()) {
    return;
  }
  // Back after it stopped publishing: forward it again (once, however many events say so).
  reforwardTask_ = reforward(publisher);
  reforwardTask_.start(context_.get());
}

Task<void> Broadcast::reforward(janus::RoomPublisher publisher) {
  const Result<void> forwarded = co_await forward(publisher);
  if (result_.state != model::RunState::Retrying) co_return {};
  if (!forwarded) {
    if (observer_.onError) observer_.onError(id_, "forward", forwarded.error());
    co_return {};  // still retrying: the next publish tries again
  }
  event("forward_restored", details(json::ObjectWriter().set("publisher_id", publisher.id)));
  if (observer_.onMetric) observer_.onMetric("forward_restarts", 1, {{"broadcast_id", id_}});
  setState(model::RunState::Running);
  co_return {};
}

void Broadcast::onUnpublished(std::int64_t publisherId) {
  publishersChanged_.notify();
  if (!forwardLive_ || !result_.forward || result_.forward->publisherId != publisherId) return;
  forwardLive_ = false;  // Janus dropped the forwarders with the stream
  event("publisher_left", details(json::ObjectWriter().set("publisher_id", publisherId)));
  if (result_.state == model::RunState::Running) setState(model::RunState::Retrying);
}

}  // namespace su::orchestrator
