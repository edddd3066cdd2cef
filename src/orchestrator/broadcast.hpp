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
// Outputs (broadcast_outputs.cpp): a relayed broadcast may feed mountpoints on more Janus
// servers. Each is created at the start (after the broadcast's own), fed by the same relay, and
// confirmed like it; afterwards each is on its own: when its Janus comes back it is restored
// while the others keep playing, and its health is its own.
//
// Only what this broadcast created is ever destroyed, only when owned_by_app, and with the
// secrets it was created with.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/main_context.hpp"
#include "core/task.hpp"
#include "janus/streaming.hpp"
#include "janus/videoroom.hpp"
#include "model/broadcast_result.hpp"
#include "obs/bridge.hpp"
#include "orchestrator/errors.hpp"
#include "orchestrator/janus_servers.hpp"
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
  // The Streaming plugin's admin_key, for requests whose mountpoint has none: a secret of the
  // ingest node that producers and API clients need not know.
  std::optional<std::string> streamingAdminKey;
  // Finished broadcasts (stopped or failed, nothing left to undo) listed with their results:
  // the most recently started ones, so that a long-running service does not grow without end.
  std::size_t finishedKept = 100;
};

struct Backends {
  janus::StreamingBackend& streaming;
  janus::VideoRoomBackend* videoroom = nullptr;
  RelayFactory& relays;
  JanusServers* outputServers = nullptr;  // for requests with outputs
};

// How a start came to be.
struct StartOptions {
  // The queue job it came from: the result's queue_info.
  std::optional<model::QueueSection> queue;
  // Taking over from a worker that died while it held this start: a mountpoint with the
  // request's id that already exists is that worker's leftover. It is destroyed (with the
  // request's secret) and created again, instead of failing the start.
  bool takeOver = false;
  // Adopting the broadcast of a node that died (src/cluster): the request names the mountpoint's
  // id and ports as that node left them, and a mountpoint with that id that exists is that
  // node's, re-attached as it is (its viewers keep watching) instead of created.
  bool adopt = false;
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
  // Abandons whatever is still set up (stop() first); no callback of its is called after.
  ~Broadcast();

  // Runs the steps (from the context's next iteration); `done` once it is running or has
  // failed, and undone what it did.
  void start(std::function<void()> done);
  // Undoes everything it set up; `done` once stopped. A start in progress ends its waits at
  // once, lets a Janus request in flight finish (what it made is undone with the rest) and
  // fails with phase "start": its rollback is the stop.
  void stop(std::function<void()> done);
  void health(std::function<void(HealthReport)> done);
  // Janus came back after the session was lost (it may have restarted and forgotten
  // everything): a running broadcast is retrying until what it created is there again — the
  // mountpoint (same id and ports, so a relay keeps feeding it), the room, the watcher; a room
  // flow then waits for its publisher to publish again. A failed restore is tried again.
  // A stopped or failed broadcast whose cleanup could not reach Janus runs it again instead.
  void restore();
  // The Janus at `url` that some of its outputs feed is back after its session was lost: those
  // outputs restore their mountpoints (the others and the broadcast's state are untouched); a
  // stopped or failed broadcast runs the cleanup it could not finish.
  void outputJanusRestored(const std::string& url);

  const std::string& id() const noexcept { return id_; }
  // Its health is the last one checked (at the start, Janus's confirmation of media).
  const model::BroadcastResult& result() const;
  void setOrigin(StartOptions origin) {
    result_.queue = std::move(origin.queue);
    takeOver_ = origin.takeOver;
    adopt_ = origin.adopt;
  }
  // Starting, running or retrying: holding resources.
  bool active() const noexcept;
  // Stopped or failed, with cleanup steps Janus was not there for: undone at the next restore().
  bool cleanupPending() const noexcept {
    return !active() && (!lifecycle_.empty() || cleanupTask_.busy());
  }
  // Stopped or failed with nothing left to do or to answer: safe to forget.
  bool settled() const noexcept {
    return (result_.state == model::RunState::Stopped ||
            result_.state == model::RunState::Failed) &&
           lifecycle_.empty() && !startTask_.busy() && !endTask_.busy() && !restoreTask_.busy() &&
           !cleanupTask_.busy() && !reforwardTask_.busy() && !obsRestartTask_.busy() &&
           tasks_.size() == 0;
  }

  Broadcast(const Broadcast&) = delete;
  Broadcast& operator=(const Broadcast&) = delete;

 private:
  // --- the start (broadcast.cpp): one coroutine, its steps in order --------------------------
  Task<void> run();         // the steps, then running; or the failure, undone
  Task<void> startSteps();  // each a no-op for the source kinds it does not concern
  Task<void> provisionMountpoint();
  Task<void> provisionOutputs();  // broadcast_outputs.cpp
  Task<void> ensureRoom();        // broadcast_room.cpp
  Task<void> watchRoom();         // broadcast_room.cpp
  Task<void> forwardPublisher();  // broadcast_room.cpp
  Task<void> startObs();
  Task<void> startRelay();
  Task<void> confirmMedia();
  void finishStart();
  // A step's error, noting the phase it failed in (a stop's is "start") for the report.
  Error failure(std::string phase, Error error);
  // Waits `interval` unless the broadcast is stopped meanwhile (an error then).
  Task<void> pause(Milliseconds interval);
  Task<void> relayRunning();
  Task<void> relayTimeout();
  Task<void> connectObs();

  // --- the end: a stop, or a failure undone ---------------------------------------------------
  // A stop or a failure begins at once (state Stopping: nothing else can begin it again), then
  // a task undoes everything.
  Task<void> stopping(std::function<void()> done);
  void beginFailure(const std::string& phase, Error error);
  Task<void> undoFailure();
  // Runs every closer (reporting each as an event); the ones Janus was unreachable for stay
  // registered (cleanup_pending).
  Task<std::vector<Error>> undoAll();
  void setState(model::RunState state);
  void event(const std::string& name, json::Value details = {});
  void reportErrors(const std::string& phase, const std::vector<Error>& errors);

  // --- mountpoints, on the node's Janus or an output's --------------------------------------
  // Creates `spec`, taking over a leftover with its id when takeOver_, re-attaching it when
  // adopt_ (StartOptions).
  Task<janus::MountPointCreated> createMountpoint(janus::StreamingBackend& streaming,
                                                  const model::MountPoint& spec);
  // Janus may have forgotten `section`'s mountpoint: created again with its id and ports.
  // True if it was.
  Task<bool> recreateMountpoint(janus::StreamingBackend& streaming, const model::MountPoint& spec,
                                model::MountPointSection& section);
  Task<void> destroyMountpointOn(janus::StreamingBackend& streaming, std::int64_t id,
                                 const model::MountPoint& spec);
  // Every mountpoint Janus should see media on: the broadcast's own, then its outputs'.
  struct MediaTarget {
    janus::StreamingBackend* streaming;
    std::int64_t id;
    const model::MountPoint* spec;
    std::string where;   // for messages: "mountpoint 7", "output 1 (ws://...) mountpoint 7"
    std::size_t output;  // 0: the broadcast's own; n: its n-th output
    std::shared_ptr<JanusServer> server;  // an output's: kept while a question is asked there
  };
  std::vector<MediaTarget> mediaTargets();

  // --- the closers: what this broadcast set up, undone with the secrets it was created with ---
  Task<void> destroyMountpoint(std::int64_t id);
  Task<void> destroyRoom();
  Task<void> leaveRoom();
  Task<void> stopForwarders();
  // Adopting: stops the forwarders of `publisherId` that its former owner left feeding this
  // broadcast's mountpoint ports, before forwarding again (Janus keeps forwarders with the
  // publisher, not with the session that made them).
  Task<void> dropInheritedForwarders(std::int64_t publisherId);
  Task<void> stopRelay();
  Task<void> disconnectObs();
  Task<void> stopObsStreaming();
  // OBS came back after its connection was lost (it may have restarted, not streaming): told
  // again where to stream, and to stream.
  void onObsReconnected();
  Task<void> restartObsStreaming();

  // --- the room and its publisher (broadcast_room.cpp) ----------------------------------------
  Task<janus::RoomPublisher> publisherAppears();
  Task<janus::RoomPublisher> publisherTimeout();
  std::optional<janus::RoomPublisher> wantedPublisher() const;
  Task<void> forward(janus::RoomPublisher publisher);
  Task<void> reforward(janus::RoomPublisher publisher);
  void onPublished(const janus::RoomPublisher& publisher);
  void onUnpublished(std::int64_t publisherId);
  void adoptWatcher(std::unique_ptr<janus::RoomWatcher> watcher);
  bool wanted(const janus::RoomPublisher& publisher) const;
  std::string publisherName() const;
  std::int64_t roomId() const;
  janus::RoomAccess roomAccess() const;

  void onRelayState(model::RunState state, const std::optional<Error>& error);
  Task<void> reportHealth(std::function<void(HealthReport)> done);

  // --- outputs (broadcast_outputs.cpp) --------------------------------------------------------
  Task<void> provisionOutput(std::size_t index);
  Task<void> restoringOutput(std::size_t index);  // until it succeeds, with a growing pause
  void outputsFollow(model::RunState state);      // the broadcast's state, where it applies
  void releaseOutputs();                          // nothing left to do on their servers
  Result<std::vector<media::OutputTrack>> planOutputTracks();

  // --- after Janus came back (broadcast_restore.cpp) -------------------------------------------
  // A Janus is back: runs the cleanup a stopped or failed broadcast could not finish; true when
  // there is something running to restore.
  bool janusBack();
  Task<void> restoring();  // restoreSteps until they succeed, with a growing pause between
  Task<void> restoreSteps();
  Task<void> restoreMountpoint();
  Task<void> restoreRoom();
  Task<void> retryCleanup();

  GRef<GMainContext> context_;
  std::string id_;
  model::BroadcastRequest request_;
  Backends backends_;
  BroadcastOptions options_;
  const Observer& observer_;
  mutable model::BroadcastResult result_;
  Lifecycle lifecycle_;
  std::unique_ptr<supervisor::Relay> relay_;
  bool relayReachedRunning_ = false;   // since this broadcast started it
  std::optional<Error> relayFailure_;  // the relay failed for good
  Condition relayChanged_;
  // Hears OBS's connection go and come back (declared before the client: it outlives it).
  struct ObsWatch final : obs::Listener {
    explicit ObsWatch(Broadcast& broadcast) : broadcast(broadcast) {}
    void onConnectionLost(const Error& reason) override;
    void onReconnected() override { broadcast.onObsReconnected(); }
    Broadcast& broadcast;
  };
  ObsWatch obsWatch_{*this};
  std::unique_ptr<obs::Client> obsClient_;
  std::unique_ptr<obs::Bridge> obsBridge_;
  std::unique_ptr<janus::RoomWatcher> watcher_;
  Condition publishersChanged_;
  struct OutputLink {
    std::shared_ptr<JanusServer> server;
    Task<void> restore;
  };
  std::vector<OutputLink> outputLinks_;  // per request_.outputs
  bool takeOver_ = false;                // StartOptions::takeOver
  bool adopt_ = false;                   // StartOptions::adopt
  bool awaitingMedia_ = false;           // adopted while its source was away (startRelay)
  bool forwardLive_ = false;             // result_.forward's forwarders exist in Janus
  Trigger stopping_;                     // a stop, or a failure being undone: waits end
  std::string failedPhase_;
  std::function<void()> startDone_;
  std::int64_t startedUs_ = 0;
  Deferred deferred_;
  // Last: cancelled first when the broadcast goes, while everything they use is still there.
  Task<void> startTask_;
  Task<void> endTask_;  // the stop, or the undoing of a failure
  Task<void> restoreTask_;
  Task<void> cleanupTask_;  // kept cleanup, run again when Janus is back
  Task<void> reforwardTask_;
  Task<void> obsRestartTask_;
  TaskGroup tasks_;  // health checks, the undoing of late successes
};

}  // namespace su::orchestrator
