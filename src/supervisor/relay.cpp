#include "supervisor/relay.hpp"

#include <algorithm>
#include <thread>

#include "core/log.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::supervisor

namespace su::supervisor {

GQuark errorDomainOf(RelayError) {
  return g_quark_from_static_string("su-relay-error");
}

namespace {

// Everything in the dot graph but the elements' properties: a source's location carries the URL's
// password and stream key, rtspsrc's user-pw the camera's (the secrets audit found them).
constexpr auto kDotDetails =
    GstDebugGraphDetails(GST_DEBUG_GRAPH_SHOW_ALL & ~(GST_DEBUG_GRAPH_SHOW_NON_DEFAULT_PARAMS |
                                                      GST_DEBUG_GRAPH_SHOW_FULL_PARAMS));

std::int64_t nowUs() {
  return g_get_monotonic_time();
}

const char* stateName(model::RunState state) {
  return model::nameOf(state).data();
}

}  // namespace

bool isRetryable(const GError* error) {
  if (!error) return true;
  if (error->domain == GST_CORE_ERROR) {
    return error->code != GST_CORE_ERROR_MISSING_PLUGIN &&
           error->code != GST_CORE_ERROR_NOT_IMPLEMENTED;
  }
  if (error->domain == GST_RESOURCE_ERROR) {
    return error->code != GST_RESOURCE_ERROR_NOT_AUTHORIZED &&
           error->code != GST_RESOURCE_ERROR_SETTINGS;
  }
  if (error->domain == GST_STREAM_ERROR) {
    return error->code != GST_STREAM_ERROR_CODEC_NOT_FOUND &&
           error->code != GST_STREAM_ERROR_WRONG_TYPE &&
           error->code != GST_STREAM_ERROR_NOT_IMPLEMENTED;
  }
  return true;
}

// ---- The state machine -------------------------------------------------------------------

SupervisedRelay::SupervisedRelay(GMainContext* context, std::string name,
                                 std::vector<media::OutputTrack> tracks, RelayOptions options,
                                 StateCallback onState, RestartPolicy restarts)
    : context_(GRef<GMainContext>::ref(context)),
      name_(std::move(name)),
      tracks_(std::move(tracks)),
      options_(std::move(options)),
      onState_(std::move(onState)),
      restarts_(std::move(restarts)),
      deferred_(context) {}

SupervisedRelay::~SupervisedRelay() {
  alive_.reset();
}

void SupervisedRelay::setState(model::RunState state, std::optional<Error> error) {
  if (state == state_ && !error) return;
  GST_INFO("relay %s: %s -> %s%s%s", name_.c_str(), stateName(state_), stateName(state),
           error ? ": " : "", error ? error->message.c_str() : "");
  state_ = state;
  if (onState_) onState_(state, error);
}

void SupervisedRelay::start() {
  if (state_ == model::RunState::Starting || state_ == model::RunState::Running ||
      state_ == model::RunState::Retrying) {
    return;
  }
  setState(model::RunState::Starting);
  launch();
}

void SupervisedRelay::launch() {
  ++run_;
  launchedUs_ = nowUs();
  lastTickUs_ = launchedUs_;
  bytesAtLastTick_.assign(tracks_.size(), 0);
  bitrateKbps_.assign(tracks_.size(), 0.0);
  GST_INFO("relay %s: starting from %s", name_.c_str(), sourceDescription().c_str());
  if (auto launched = launchRun(); !launched) {
    failed(launched.error());  // a missing element or a bad description: no retry helps
    return;
  }
  runActive_ = true;
  const auto period = std::clamp(options_.stallTimeout / 4, Milliseconds(50), Milliseconds(1000));
  watchdog_ = Source::timeout(
      context_.get(), period,
      [this] {
        tick();
        return true;
      },
      "su-relay-watchdog");
}

void SupervisedRelay::mediaFlowing() {
  if (state_ != model::RunState::Starting) return;
  runningSinceUs_ = nowUs();
  restarts_.noteHealthy();
  setState(model::RunState::Running);
}

void SupervisedRelay::tick() {
  const std::int64_t now = nowUs();
  std::vector<TrackStats> current(tracks_.size());
  fillTrackStats(current);
  const double seconds = std::max(1e-3, static_cast<double>(now - lastTickUs_) / 1e6);
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    bitrateKbps_[i] =
        static_cast<double>(current[i].bytes - bytesAtLastTick_[i]) * 8.0 / 1000.0 / seconds;
    bytesAtLastTick_[i] = current[i].bytes;
  }
  lastTickUs_ = now;

  const std::int64_t lastMedia = lastMediaUs();
  if (lastMedia > 0) mediaFlowing();
  // Before the first packet the source may still be connecting, or waiting for a keyframe.
  const std::int64_t reference = lastMedia > 0 ? lastMedia : launchedUs_;
  const Milliseconds timeout = lastMedia > 0 ? options_.stallTimeout : options_.firstMediaTimeout;
  if (now - reference > timeout.count() * 1000) {
    const std::string limit = std::to_string(timeout.count()) + " ms";
    retry(makeError(RelayError::Stalled, lastMedia > 0
                                             ? "no media for " + limit
                                             : "no media within " + limit + " of starting"));
  }
}

void SupervisedRelay::retry(Error error) {
  if (state_ != model::RunState::Starting && state_ != model::RunState::Running) return;
  lastError_ = error.message;
  setState(model::RunState::Retrying, error);
  finish([this, error](bool) {
    if (state_ != model::RunState::Retrying) return;  // stopped meanwhile
    const auto delay = restarts_.nextRestart(std::chrono::steady_clock::now());
    if (!delay) {
      const std::string budget = std::to_string(options_.budget.maxRestarts) + " restarts in " +
                                 std::to_string(options_.budget.window.count() / 1000) + " s";
      failed(makeError(RelayError::BudgetExhausted,
                       "gave up after " + budget + "; last error: " + error.message));
      return;
    }
    ++restartCount_;
    GST_INFO("relay %s: restart %u in %lld ms", name_.c_str(), restartCount_,
             static_cast<long long>(delay->count()));
    restartTimer_ = Source::timeout(
        context_.get(), *delay,
        [this] {
          setState(model::RunState::Starting);
          launch();
          return false;
        },
        "su-relay-restart");
  });
}

void SupervisedRelay::failed(Error error) {
  lastError_ = error.message;
  restartTimer_.cancel();
  finish([](bool) {});
  setState(model::RunState::Failed, std::move(error));
}

void SupervisedRelay::stop(std::function<void()> done) {
  if (state_ == model::RunState::Stopped || state_ == model::RunState::Stopping) {
    deferred_.post([done] { done(); }, [done] { done(); });
    return;
  }
  restartTimer_.cancel();
  setState(model::RunState::Stopping);
  finish([this, done](bool abandoned) {
    if (abandoned) {
      const Error error =
          makeError(RelayError::StopTimeout, "the run did not end within " +
                                                 std::to_string(options_.stopTimeout.count()) +
                                                 " ms and was abandoned");
      lastError_ = error.message;
      setState(model::RunState::Stopped, error);
    } else {
      setState(model::RunState::Stopped);
    }
    done();
  });
}

void SupervisedRelay::finish(std::function<void(bool abandoned)> then) {
  watchdog_.cancel();
  if (!runActive_) {
    deferred_.post([then] { then(false); });
    return;
  }
  runActive_ = false;
  std::weak_ptr<bool> alive = alive_;
  endRun([alive, then](bool abandoned) {
    if (!alive.expired()) then(abandoned);
  });
}

RelayStats SupervisedRelay::stats() const {
  RelayStats stats;
  stats.state = state_;
  stats.source = sourceDescription();
  stats.restarts = restartCount_;
  stats.lastError = lastError_;
  if (state_ == model::RunState::Running) stats.uptimeMs = (nowUs() - runningSinceUs_) / 1000;
  stats.tracks.resize(tracks_.size());
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    stats.tracks[i].mid = tracks_[i].mid;
    stats.tracks[i].output = tracks_[i].output;
    stats.tracks[i].type = tracks_[i].type;
  }
  if (runActive_) fillTrackStats(stats.tracks);
  for (std::size_t i = 0; i < tracks_.size() && i < bitrateKbps_.size(); ++i) {
    stats.tracks[i].bitrateKbps = runActive_ ? bitrateKbps_[i] : 0.0;
  }
  return stats;
}

// ---- In-process pipelines ----------------------------------------------------------------

Result<std::unique_ptr<PipelineRelay>> PipelineRelay::create(
    GMainContext* context, std::string name, media::SourceSpec source,
    std::vector<media::OutputTrack> tracks, RelayOptions options, StateCallback onState) {
  auto restarts = RestartPolicy::create(options.backoff, options.budget);
  if (!restarts) return restarts.error();
  return std::unique_ptr<PipelineRelay>(
      new PipelineRelay(context, std::move(name), std::move(source), std::move(tracks),
                        std::move(options), std::move(onState), std::move(restarts).value()));
}

PipelineRelay::PipelineRelay(GMainContext* context, std::string name, media::SourceSpec source,
                             std::vector<media::OutputTrack> tracks, RelayOptions options,
                             StateCallback onState, RestartPolicy restarts)
    : SupervisedRelay(context, std::move(name), std::move(tracks), std::move(options),
                      std::move(onState), std::move(restarts)),
      source_(std::move(source)) {}

PipelineRelay::~PipelineRelay() {
  endRunFromDestructor();
  endRun([](bool) {});
}

std::string PipelineRelay::sourceDescription() const {
  return media::describeSource(source_);
}

Result<void> PipelineRelay::launchRun() {
  std::weak_ptr<bool> alive = aliveToken();
  const unsigned current = run();
  auto built = media::RelayPipeline::create(name(), source_, tracks(), options().video,
                                            {context(), [this, alive, current] {
                                               // A late hop from a run already ended is not news.
                                               if (!alive.expired() && current == run())
                                                 mediaFlowing();
                                             }});
  if (!built) return built.error();
  pipeline_ = std::move(built).value();
  auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline_->pipeline()));
  auto watch = GRef<GSource>::adopt(gst_bus_create_watch(bus.get()));
  g_source_set_callback(watch.get(), G_SOURCE_FUNC(&PipelineRelay::busMessage), this, nullptr);
  busWatch_ = Source::attach(std::move(watch), context());
  launchedUs_ = g_get_monotonic_time();
  gst_element_set_state(pipeline_->pipeline(), GST_STATE_PLAYING);
  return {};
}

gboolean PipelineRelay::busMessage(GstBus*, GstMessage* message, gpointer self) noexcept {
  static_cast<PipelineRelay*>(self)->onBusMessage(message);
  return G_SOURCE_CONTINUE;
}

void PipelineRelay::onBusMessage(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      GUnique<GError> error;
      GUnique<char> debug;
      gst_message_parse_error(message, error.outPtr(), debug.outPtr());
      GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS(GST_BIN(pipeline_->pipeline()), kDotDetails,
                                        name().c_str());
      Error failure = Error::fromGError(error.get());
      failure.message = model::redactText(std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) +
                                          ": " + failure.message);
      GST_WARNING("relay %s: %s (%s)", name().c_str(), failure.message.c_str(),
                  debug ? model::redactText(debug.get()).c_str() : "");
      if (isRetryable(error.get())) {
        retry(std::move(failure));
      } else {
        failed(std::move(failure));
      }
      break;
    }
    case GST_MESSAGE_EOS:
      retry(makeError(RelayError::SourceEnded, "the source ended (end of stream)"));
      break;
    case GST_MESSAGE_WARNING: {
      GUnique<GError> warning;
      gst_message_parse_warning(message, warning.outPtr(), nullptr);
      GST_WARNING("relay %s: %s", name().c_str(),
                  model::redactText(warning ? warning->message : "").c_str());
      break;
    }
    default:
      break;
  }
}

std::int64_t PipelineRelay::lastMediaUs() const {
  return pipeline_ ? pipeline_->lastPacketUs() : 0;
}

void PipelineRelay::fillTrackStats(std::vector<TrackStats>& tracks) const {
  if (!pipeline_) return;
  const std::int64_t now = g_get_monotonic_time();
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const media::TrackCounters& counters = pipeline_->counters(i);
    tracks[i].packets = counters.packets.load(std::memory_order_relaxed);
    tracks[i].bytes = counters.bytes.load(std::memory_order_relaxed);
    const std::int64_t first = counters.firstPacketUs.load(std::memory_order_relaxed);
    const std::int64_t last = counters.lastPacketUs.load(std::memory_order_relaxed);
    if (first > 0) tracks[i].firstPacketMs = (first - launchedUs_) / 1000;
    if (last > 0) tracks[i].lastPacketAgeMs = (now - last) / 1000;
    if (pipeline_->tracks()[i].rtcpPort) {
      tracks[i].rtcpReceived = counters.rtcpReceived.load(std::memory_order_relaxed);
      tracks[i].keyframeRequests = counters.keyframeRequests.load(std::memory_order_relaxed);
    }
  }
}

void PipelineRelay::endRun(std::function<void(bool abandoned)> then) {
  busWatch_.cancel();
  std::unique_ptr<media::RelayPipeline> pipeline = std::move(pipeline_);
  if (!pipeline) return;  // only from the destructor: an active run always has its pipeline
  // Reported once: by the worker when the pipeline is in NULL, or by the timer if first.
  auto reported = std::make_shared<bool>(false);
  auto report = [reported, then](bool abandoned) {
    if (*reported) return;
    *reported = true;
    then(abandoned);
  };
  // Reaching NULL can block on the network (an RTSP teardown): never on the control context.
  std::thread([pipeline = std::move(pipeline), context = GRef<GMainContext>::ref(context()),
               report]() mutable {
    pipeline.reset();
    g_main_context_invoke_full(
        context.get(), G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
          (*static_cast<std::function<void(bool)>*>(data))(false);
          return G_SOURCE_REMOVE;
        },
        new std::function<void(bool)>(report),
        [](gpointer data) { delete static_cast<std::function<void(bool)>*>(data); });
  }).detach();
  stopTimer_ = Source::timeout(
      context(), options().stopTimeout,
      [report] {
        report(true);
        return false;
      },
      "su-relay-stop-timeout");
}

}  // namespace su::supervisor
