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
  ~Bridge() override;  // what is pending completes with G_IO_ERROR_CANCELLED

  void configureCustomRtmp(std::string server, std::string key, Callback<void> done);
  // Connects the client if it is not, then starts streaming.
  void connectAndStart(Callback<void> done);
  void start(Callback<void> done);
  void stop(Callback<void> done);
  void status(Callback<StreamStatus> done);

  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

 private:
  // An operation waiting for the stream to reach `state` (an OBS_WEBSOCKET_OUTPUT_* name).
  struct Waiter {
    std::string state;
    Callback<void> done;
    Source timer;
    bool confirming = false;  // the state was reached: waiting for GetStreamStatus to agree
    Source retry;
  };
  void onEvent(const Event& event) override;
  void onConnectionLost(const Error& reason) override;
  void await(std::string state, std::string what, Callback<void> done);
  void finishWaiter(Result<void> result);
  // The awaited state was announced (or OBS said it is there already): done once
  // GetStreamStatus agrees, which lags the event by a moment when stopping.
  void confirmState();

  Client& client_;
  Milliseconds stateTimeout_;
  std::optional<Waiter> waiter_;  // one at a time: start and stop are not concurrent
  Deferred deferred_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The status from a GetStreamStatus responseData.
Result<StreamStatus> parseStreamStatus(const json::Value& data);

}  // namespace su::obs
