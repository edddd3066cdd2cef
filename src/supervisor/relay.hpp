// A supervised relay: a media source feeding a mountpoint's ports, restarted when it fails.
//
// States: starting -> running (media is flowing) -> retrying -> starting ... -> failed, and
// stopping -> stopped. Every transition is logged and reported to the state callback.
// Errors that retrying cannot fix (a missing element, a bad description, not authorized, an
// unusable codec) fail at once; network, resource and stream errors, the end of a live source
// and a stall (no media for stallTimeout) are retried with jittered backoff until the budget is
// spent. A restart ends the run completely and starts a new one. Ending a run is bounded: what
// does not stop in time is abandoned (a pipeline) or killed (a process), and reported.
//
// SupervisedRelay is that state machine; PipelineRelay (in-process GstPipeline, the default)
// and FfmpegRelay (an ffmpeg subprocess, for compatibility and as a benchmark baseline)
// supply the runs.
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
  SourceEnded,      // end of stream from a live source, or the process exited
  BudgetExhausted,  // too many restarts within the window
  StopTimeout,      // the run did not end in time and was abandoned
};
GQuark errorDomainOf(RelayError);

struct RelayOptions {
  BackoffPolicy backoff{.initial = Milliseconds(1000), .max = Milliseconds(30000)};
  RestartBudgetPolicy budget{.maxRestarts = 5, .window = Milliseconds(60000)};
  Milliseconds stallTimeout{5000};        // media stopped for this long: restart
  Milliseconds firstMediaTimeout{15000};  // no media this long after a (re)start: restart
  Milliseconds stopTimeout{5000};         // a run still not ended after this is abandoned or killed
  media::VideoEncoding video;
};

struct TrackStats {
  std::string mid;
  int output = 0;  // the Janus it feeds: 0 the broadcast's own, n its n-th output
  model::MediaType type = model::MediaType::Video;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  double bitrateKbps = 0;                       // over the last watchdog period
  std::optional<std::int64_t> lastPacketAgeMs;  // since the last packet
  std::optional<std::int64_t> firstPacketMs;    // from the (re)start to the first packet
  // With RTCP (the mountpoint media has an RTCP port), in-process relays: since the (re)start.
  std::optional<std::uint64_t> rtcpReceived;      // RTCP packets from Janus
  std::optional<std::uint64_t> keyframeRequests;  // PLI/FIR among them
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

// Whether an error from a GStreamer bus is worth a restart.
bool isRetryable(const GError* error);

class SupervisedRelay : public Relay {
 public:
  ~SupervisedRelay() override;
  void start() override;
  void stop(std::function<void()> done) override;
  model::RunState state() const override { return state_; }
  RelayStats stats() const override;

 protected:
  SupervisedRelay(GMainContext* context, std::string name, std::vector<media::OutputTrack> tracks,
                  RelayOptions options, StateCallback onState, RestartPolicy restarts);

  // One run: build and start it, or fail (fatal: no retry helps).
  virtual Result<void> launchRun() = 0;
  // Ends the current run, bounded by stopTimeout; `then(abandoned)` on the context after.
  // Called from the destructor too: then `then` is never called.
  virtual void endRun(std::function<void(bool abandoned)> then) = 0;
  // When media last left, in g_get_monotonic_time() microseconds; 0 if not yet in this run.
  virtual std::int64_t lastMediaUs() const = 0;
  // Per-track counters of the current run, where the run can count them.
  virtual void fillTrackStats(std::vector<TrackStats>& tracks) const = 0;
  virtual std::string sourceDescription() const = 0;

  // For the runs to report what happens.
  void mediaFlowing();  // the first media left: starting -> running
  void retry(Error error);
  void failed(Error error);

  GMainContext* context() const noexcept { return context_.get(); }
  const std::string& name() const noexcept { return name_; }
  const std::vector<media::OutputTrack>& tracks() const noexcept { return tracks_; }
  const RelayOptions& options() const noexcept { return options_; }
  // Expires with the relay: for work that comes back from other threads or processes.
  std::weak_ptr<bool> aliveToken() const { return alive_; }
  // Distinguishes the current run from earlier ones, whose late news must be ignored.
  unsigned run() const noexcept { return run_; }
  // The subclass destructor ends the run itself (endRun cannot be called from here).
  void endRunFromDestructor() { alive_.reset(); }

 private:
  void launch();
  void setState(model::RunState state, std::optional<Error> error = std::nullopt);
  void tick();
  void finish(std::function<void(bool abandoned)> then);

  GRef<GMainContext> context_;
  std::string name_;
  std::vector<media::OutputTrack> tracks_;
  RelayOptions options_;
  StateCallback onState_;
  RestartPolicy restarts_;
  Source watchdog_;
  Source restartTimer_;
  Deferred deferred_;
  model::RunState state_ = model::RunState::Stopped;
  bool runActive_ = false;
  std::int64_t launchedUs_ = 0;
  std::int64_t runningSinceUs_ = 0;
  unsigned restartCount_ = 0;
  unsigned run_ = 0;
  std::optional<std::string> lastError_;
  std::vector<std::uint64_t> bytesAtLastTick_;
  std::vector<double> bitrateKbps_;
  std::int64_t lastTickUs_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The default relay: a GstPipeline in this process, watched from its bus.
class PipelineRelay final : public SupervisedRelay {
 public:
  static Result<std::unique_ptr<PipelineRelay>> create(GMainContext* context, std::string name,
                                                       media::SourceSpec source,
                                                       std::vector<media::OutputTrack> tracks,
                                                       RelayOptions options, StateCallback onState);
  ~PipelineRelay() override;

 private:
  PipelineRelay(GMainContext* context, std::string name, media::SourceSpec source,
                std::vector<media::OutputTrack> tracks, RelayOptions options, StateCallback onState,
                RestartPolicy restarts);
  Result<void> launchRun() override;
  void endRun(std::function<void(bool abandoned)> then) override;
  std::int64_t lastMediaUs() const override;
  void fillTrackStats(std::vector<TrackStats>& tracks) const override;
  std::string sourceDescription() const override;

  static gboolean busMessage(GstBus* bus, GstMessage* message, gpointer self) noexcept;
  void onBusMessage(GstMessage* message);

  media::SourceSpec source_;
  std::unique_ptr<media::RelayPipeline> pipeline_;
  std::int64_t launchedUs_ = 0;
  Source busWatch_;
  Source stopTimer_;
};

}  // namespace su::supervisor
