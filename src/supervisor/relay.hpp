// A supervised relay: a media source feeding a mountpoint's ports, restarted when it fails.
//
// States: starting -> running (media is flowing) -> retrying -> starting ... -> failed, and
// stopping -> stopped. Every transition is logged and reported to the state callback.
// Errors that retrying cannot fix (a missing element, a bad description, not authorized, an
// unusable codec) fail at once; network, resource and stream errors, the end of a live source
// and a stall (no packet for stallTimeout) are retried with jittered backoff until the budget is
// spent. A restart tears the pipeline down to NULL and builds it again. Teardown is bounded: a
// pipeline that does not reach NULL in time is abandoned and reported, never waited for.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.hpp"
#include "core/main_context.hpp"
#include "media/relay_pipeline.hpp"
#include "model/kinds.hpp"

namespace su::supervisor {

enum class RelayError {
  Stalled = 1,      // no media for stallTimeout
  SourceEnded,      // end of stream from a live source
  BudgetExhausted,  // too many restarts within the window
  StopTimeout,      // the pipeline did not reach NULL in time and was abandoned
};
GQuark errorDomainOf(RelayError);

struct RelayOptions {
  BackoffPolicy backoff{.initial = Milliseconds(1000), .max = Milliseconds(30000)};
  RestartBudgetPolicy budget{.maxRestarts = 5, .window = Milliseconds(60000)};
  Milliseconds stallTimeout{10000};  // no RTP on any media for this long: restart
  Milliseconds stopTimeout{5000};    // a pipeline still not in NULL after this is abandoned
  media::VideoEncoding video;
};

struct TrackStats {
  std::string mid;
  model::MediaType type = model::MediaType::Video;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  double bitrateKbps = 0;                       // over the last watchdog period
  std::optional<std::int64_t> lastPacketAgeMs;  // since the last packet
  std::optional<std::int64_t> firstPacketMs;    // from the (re)start to the first packet
};

struct RelayStats {
  model::RunState state = model::RunState::Starting;
  std::string source;  // masked
  std::vector<TrackStats> tracks;
  unsigned restarts = 0;
  std::optional<std::int64_t> uptimeMs;  // since it last became running
  std::optional<std::string> lastError;  // masked
};

// Called on the control context for every state change, with the error that caused it.
using StateCallback = std::function<void(model::RunState state, const std::optional<Error>& error)>;

class Relay {
 public:
  virtual ~Relay() = default;
  virtual void start() = 0;
  // Stops; `done` runs on the control context once stopped (or abandoned), never inside stop().
  virtual void stop(std::function<void()> done) = 0;
  virtual model::RunState state() const = 0;
  virtual RelayStats stats() const = 0;
};

// Whether an error from the bus is worth a restart.
bool isRetryable(const GError* error);

class PipelineRelay final : public Relay {
 public:
  static Result<std::unique_ptr<PipelineRelay>> create(GMainContext* context, std::string name,
                                                       media::SourceSpec source,
                                                       std::vector<media::OutputTrack> tracks,
                                                       RelayOptions options, StateCallback onState);
  ~PipelineRelay() override;

  void start() override;
  void stop(std::function<void()> done) override;
  model::RunState state() const override { return state_; }
  RelayStats stats() const override;

 private:
  PipelineRelay(GMainContext* context, std::string name, media::SourceSpec source,
                std::vector<media::OutputTrack> tracks, RelayOptions options, StateCallback onState,
                RestartPolicy restarts);
  void launch();
  void setState(model::RunState state, std::optional<Error> error = std::nullopt);
  static gboolean busMessage(GstBus* bus, GstMessage* message, gpointer self) noexcept;
  void onBusMessage(GstMessage* message);
  void failed(Error error);
  void retry(Error error);
  void mediaFlowing();  // the first packet left: starting -> running
  void tick();
  // Drops the pipeline in a worker thread; `then(abandoned)` on the context once it is in NULL,
  // or once stopTimeout has passed.
  void teardown(std::function<void(bool abandoned)> then);

  GRef<GMainContext> context_;
  std::string name_;
  media::SourceSpec source_;
  std::vector<media::OutputTrack> tracks_;
  RelayOptions options_;
  StateCallback onState_;
  RestartPolicy restarts_;
  std::unique_ptr<media::RelayPipeline> pipeline_;
  Source busWatch_;
  Source watchdog_;
  Source restartTimer_;
  Source stopTimer_;
  Deferred deferred_;
  model::RunState state_ = model::RunState::Stopped;
  std::int64_t launchedUs_ = 0;
  std::int64_t runningSinceUs_ = 0;
  unsigned restartCount_ = 0;
  unsigned generation_ = 0;  // which pipeline is current
  std::optional<std::string> lastError_;
  std::vector<std::uint64_t> bytesAtLastTick_;
  std::vector<double> bitrateKbps_;
  std::int64_t lastTickUs_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::supervisor
