// One broadcast's life: the steps its source kind needs, run in order on the control context,
// each registering how to undo itself; a failure undoes what was done, in reverse order.
//
// Relay flows (test_pattern, rtmp_external, rtsp_camera, uri): the mountpoint (created, or an
// existing one's ports), the relay into its ports (running once media leaves), then Janus's own
// word that media arrives (age_ms fresh on every poll for a while). obs: the same, with OBS
// configured to publish to the ingest and started before the relay that reads it back.
// frontend_owned: the mountpoint if asked, nothing relayed.
//
// Room flows (videoroom, browser_webrtc): the mountpoint, the room (ensured from room_spec, or
// checked to exist), a watcher in the room, the publisher (awaited, by id or display name),
// rtp_forward of its streams into the mountpoint's ports, then Janus's word that media arrives.
// When the publisher stops publishing the broadcast is retrying; when it (or, by display name,
// a new publisher of that name) publishes again it is forwarded again.
//
// Only what this broadcast created is ever destroyed, only when owned_by_app, and with the
// secrets it was created with.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/main_context.hpp"
#include "janus/streaming.hpp"
#include "janus/videoroom.hpp"
#include "model/broadcast_result.hpp"
#include "obs/bridge.hpp"
#include "orchestrator/errors.hpp"
#include "orchestrator/lifecycle.hpp"
#include "orchestrator/observer.hpp"
#include "orchestrator/relay_factory.hpp"

namespace su::orchestrator {

struct BroadcastOptions {
  Milliseconds mediaTimeout{20000};  // for the relay to run and Janus to see media
  Milliseconds freshAge{1000};       // age_ms under this is fresh
  Milliseconds confirmFor{600};      // fresh on every poll for this long confirms media
  Milliseconds pollInterval{200};
  Milliseconds obsTimeout{20000};        // to connect to OBS, and for its stream to start or stop
  Milliseconds publisherTimeout{30000};  // for the room's publisher to appear
  // A restore that failed (Janus refused a recreate, a room not ours is not back yet) is tried
  // again after this, doubling up to restoreRetryMax, until it succeeds or the broadcast stops.
  Milliseconds restoreRetry{2000};
  Milliseconds restoreRetryMax{30000};
};

struct Backends {
  janus::StreamingBackend& streaming;
  janus::VideoRoomBackend* videoroom = nullptr;
  RelayFactory& relays;
};

// Health beyond the result's summary: the relay's own statistics.
struct HealthReport {
  model::BroadcastHealth health;
  std::optional<supervisor::RelayStats> relay;
};

class Broadcast {
 public:
  Broadcast(GMainContext* context, std::string id, model::BroadcastRequest request,
            Backends backends, BroadcastOptions options, const Observer& observer);
  ~Broadcast();  // abandons whatever is still set up: stop() first

  // Runs the steps; `done` once it is running or has failed (and undone what it did).
  void start(std::function<void()> done);
  // Undoes everything it set up; `done` once stopped. Stopping a start in progress interrupts it.
  void stop(std::function<void()> done);
  void health(std::function<void(HealthReport)> done);
  // Janus came back after the session was lost (it may have restarted and forgotten
  // everything): a running broadcast is retrying until what it created is there again — the
  // mountpoint (same id and ports, so a relay keeps feeding it), the room, the watcher; a room
  // flow then waits for its publisher to publish again. A failed restore is tried again.
  // A stopped or failed broadcast whose cleanup could not reach Janus runs it again instead.
  void restore();

  const std::string& id() const noexcept { return id_; }
  const model::BroadcastResult& result() const;
  // Starting, running or retrying: holding resources.
  bool active() const noexcept;
  // Stopped or failed, with cleanup steps Janus was not there for: undone at the next restore().
  bool cleanupPending() const noexcept { return !active() && (!lifecycle_.empty() || cleaningUp_); }

  Broadcast(const Broadcast&) = delete;
  Broadcast& operator=(const Broadcast&) = delete;

 private:
  using Next = std::function<void()>;

  void setState(model::RunState state);
  void event(const std::string& name, json::Value details = {});
  // A step failed: undo everything, then report the broadcast failed.
  void fail(const std::string& phase, Error error);
  // Runs every closer (reporting each as an event), then `done` with what failed; the ones
  // Janus was unreachable for stay registered (cleanup_pending).
  void undoAll(std::function<void(std::vector<Error>)> done);
  void retryCleanup();
  void finishStart();

  // Still the start this callback belongs to (not destroyed, stopped or failed meanwhile).
  bool starting(const std::weak_ptr<bool>& alive) const;

  void provisionMountpoint(Next next);
  // Destroy what this broadcast created, with the secret and permanence it was created with:
  // the lifecycle's closers, and the undo of a late success after a stop.
  Lifecycle::Closer mountpointDestroyer(std::int64_t id) const;
  Lifecycle::Closer roomDestroyer() const;
  void ensureRoom(Next next);
  void watchRoom(Next next);
  void awaitPublisher(Next next);
  void forward(const janus::RoomPublisher& publisher, std::function<void(Result<void>)> done);
  void stopForwarders(Lifecycle::Done done);
  void onPublished(const janus::RoomPublisher& publisher);
  void onUnpublished(std::int64_t publisherId);
  bool wanted(const janus::RoomPublisher& publisher) const;
  std::string publisherName() const;
  std::int64_t roomId() const;
  janus::RoomAccess roomAccess() const;
  void startRelay(Next next);
  void onRelayState(model::RunState state, const std::optional<Error>& error);
  void startObs(Next next);
  void confirmMedia(Next next);
  void pollMedia(Next next, std::int64_t startedUs, std::int64_t freshSinceUs);
  void janusHealth(HealthReport report, std::function<void(HealthReport)> done);
  void adoptWatcher(std::unique_ptr<janus::RoomWatcher> watcher);
  void runRestore();
  void restoreMountpoint(Next next);
  void restoreRoom(Next next);
  // A restore step failed: the broadcast stays retrying, says why, and tries again later.
  void restoreFailed(const Error& error);

  GRef<GMainContext> context_;
  std::string id_;
  model::BroadcastRequest request_;
  Backends backends_;
  BroadcastOptions options_;
  const Observer& observer_;
  mutable model::BroadcastResult result_;
  Lifecycle lifecycle_;
  std::unique_ptr<supervisor::Relay> relay_;
  std::unique_ptr<obs::Client> obsClient_;
  std::unique_ptr<obs::Bridge> obsBridge_;
  std::optional<Next> relayRunning_;  // set while the start waits for the relay to run
  std::unique_ptr<janus::RoomWatcher> watcher_;
  // Set while the start waits for the publisher: what to do once it publishes.
  std::function<void(const janus::RoomPublisher&)> publisherAwaited_;
  bool forwardLive_ = false;   // result_.forward's forwarders exist in Janus
  bool reforwarding_ = false;  // a forward after a republish is in flight
  bool cleaningUp_ = false;    // a retried cleanup is in flight
  Source stepTimer_;
  Source restoreTimer_;           // the next restore attempt, after one failed
  Milliseconds restoreDelay_{0};  // before that attempt; grows with each failure
  Deferred deferred_;
  std::function<void()> startDone_;
  std::int64_t startedUs_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::orchestrator
