// The original's ObsBridge: point OBS at an RTMP ingest, start and stop its stream, read its
// status. Built on obs::Client; every operation is idempotent where OBS allows it:
// - configureCustomRtmp sets `rtmp_custom` and reads the settings back, because OBS has been
//   known to accept settings it did not apply;
// - start sends StartStream and waits for StreamStateChanged = started (500 "already running"
//   counts as started); a stream that stops while starting (an unreachable server) fails;
// - stop sends StopStream and waits for stopped (501 "not running" counts as stopped).
// Both finish only once GetStreamStatus agrees: OBS announces "stopped" a moment before its
// status stops saying active.
// The stream key is a credential: it never appears in a log line or an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/task.hpp"
#include "obs/client.hpp"

namespace su::obs {

enum class BridgeError {
  SettingsNotApplied = 1,  // OBS reports other stream settings than those just set
  StartFailed,             // the stream stopped while starting
  StateTimeout,            // no StreamStateChanged to the awaited state in time
  Malformed,               // a response without the fields the bridge needs
};
GQuark errorDomainOf(BridgeError);

struct StreamStatus {
  bool active = false;
  bool reconnecting = false;
  std::int64_t durationMs = 0;
  double congestion = 0;
  std::uint64_t bytes = 0;
  std::int64_t skippedFrames = 0;
  std::int64_t totalFrames = 0;
};

class Bridge final : private Listener {
 public:
  // `client` must outlive the bridge. `stateTimeout` bounds the wait for started / stopped.
  explicit Bridge(Client& client, Milliseconds stateTimeout = Milliseconds(20000));
  ~Bridge() override;  // what is pending is dropped: its callback is never called

  void configureCustomRtmp(std::string server, std::string key, Callback<void> done);
  // Connects the client if it is not, then starts streaming.
  void connectAndStart(Callback<void> done);
  void start(Callback<void> done);
  void stop(Callback<void> done);
  void status(Callback<StreamStatus> done);

  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

 private:
  void onEvent(const Event& event) override;
  void onConnectionLost(const Error& reason) override;
  // Runs `task` for a caller: `done` gets its result.
  void run(Task<void> task, Callback<void> done);
  Task<void> answering(Task<void> task, Callback<void> done);
  Task<void> configuring(std::string server, std::string key);
  Task<void> connectingAndStarting();
  // Sends `request` and waits until the stream is in `state` (an OBS_WEBSOCKET_OUTPUT_* name),
  // within the state timeout; `alreadyThere` is OBS's status for "it is already".
  Task<void> changingState(std::string request, int alreadyThere, std::string state,
                           std::string what);
  Task<void> reaching(std::string request, int alreadyThere, std::string state);
  Task<void> stateTimeout(std::string what);
  // The stream stopped after a start was asked for: it cannot start (the server is gone...).
  bool stoppedWhileStarting(const std::string& state) const;

  Client& client_;
  Milliseconds stateTimeout_;
  bool changing_ = false;          // one start or stop at a time
  std::vector<std::string> seen_;  // StreamStateChanged states since it began, oldest first
  std::optional<Error> lost_;      // the connection went meanwhile
  Condition changed_;
  TaskGroup tasks_;
};

// The status from a GetStreamStatus responseData.
Result<StreamStatus> parseStreamStatus(const json::Value& data);
// A StreamStateChanged event's outputState ("OBS_WEBSOCKET_OUTPUT_STARTED"...); nothing for any
// other event or one without it.
std::optional<std::string> streamStateOf(const Event& event);

}  // namespace su::obs
