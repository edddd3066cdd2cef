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

std::int64_t nowUs() {
  return g_get_monotonic_time();
}

const char* stateName(model::RunState state) {
  return model::nameOf(state).data();
}

// What a teardown worker and the context share.
struct TeardownState {
  bool reported = false;  // touched on the context only
};

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
    : context_(GRef<GMainContext>::ref(context)),
      name_(std::move(name)),
      source_(std::move(source)),
      tracks_(std::move(tracks)),
      options_(std::move(options)),
      onState_(std::move(onState)),
      restarts_(std::move(restarts)),
      deferred_(context) {}

PipelineRelay::~PipelineRelay() {
  alive_.reset();
  restartTimer_.cancel();
  teardown([](bool) {});
}

void PipelineRelay::setState(model::RunState state, std::optional<Error> error) {
  if (state == state_ && !error) return;
  GST_INFO("relay %s: %s -> %s%s%s", name_.c_str(), stateName(state_), stateName(state),
           error ? ": " : "", error ? error->message.c_str() : "");
  state_ = state;
  if (onState_) onState_(state, error);
}

void PipelineRelay::start() {
  if (state_ == model::RunState::Starting || state_ == model::RunState::Running ||
      state_ == model::RunState::Retrying) {
    return;
  }
  setState(model::RunState::Starting);
  launch();
}

void PipelineRelay::launch() {
  const unsigned generation = ++generation_;
  std::weak_ptr<bool> alive = alive_;
  auto built = media::RelayPipeline::create(name_, source_, tracks_, options_.video,
                                            {context_.get(), [this, alive, generation] {
                                               // A late hop from a pipeline already torn down is
                                               // not news.
                                               if (!alive.expired() && generation == generation_)
                                                 mediaFlowing();
                                             }});
  if (!built) {
    failed(built.error());  // a missing element or a bad description: no retry helps
    return;
  }
  pipeline_ = std::move(built).value();
  auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline_->pipeline()));
  auto watch = GRef<GSource>::adopt(gst_bus_create_watch(bus.get()));
  g_source_set_callback(watch.get(), G_SOURCE_FUNC(&PipelineRelay::busMessage), this, nullptr);
  busWatch_ = Source::attach(std::move(watch), context_.get());
  launchedUs_ = nowUs();
  lastTickUs_ = launchedUs_;
  bytesAtLastTick_.assign(tracks_.size(), 0);
  bitrateKbps_.assign(tracks_.size(), 0.0);
  const auto period = std::clamp(options_.stallTimeout / 4, Milliseconds(50), Milliseconds(1000));
  watchdog_ = Source::timeout(
      context_.get(), period,
      [this] {
        tick();
        return true;
      },
      "su-relay-watchdog");
  GST_INFO("relay %s: starting from %s", name_.c_str(), media::describeSource(source_).c_str());
  gst_element_set_state(pipeline_->pipeline(), GST_STATE_PLAYING);
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
      GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS(GST_BIN(pipeline_->pipeline()), GST_DEBUG_GRAPH_SHOW_ALL,
                                        name_.c_str());
      Error failure = Error::fromGError(error.get());
      failure.message = model::redactText(std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) +
                                          ": " + failure.message);
      GST_WARNING("relay %s: %s (%s)", name_.c_str(), failure.message.c_str(),
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
      GST_WARNING("relay %s: %s", name_.c_str(),
                  model::redactText(warning ? warning->message : "").c_str());
      break;
    }
    default:
      break;
  }
}

void PipelineRelay::tick() {
  if (!pipeline_) return;
  const std::int64_t now = nowUs();
  const double seconds = std::max(1e-3, static_cast<double>(now - lastTickUs_) / 1e6);
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const std::uint64_t bytes = pipeline_->counters(i).bytes.load(std::memory_order_relaxed);
    bitrateKbps_[i] = static_cast<double>(bytes - bytesAtLastTick_[i]) * 8.0 / 1000.0 / seconds;
    bytesAtLastTick_[i] = bytes;
  }
  lastTickUs_ = now;

  const std::int64_t lastPacket = pipeline_->lastPacketUs();
  if (lastPacket > 0) mediaFlowing();
  const std::int64_t reference = lastPacket > 0 ? lastPacket : launchedUs_;
  const std::int64_t stallUs = options_.stallTimeout.count() * 1000;
  if (now - reference > stallUs) {
    const std::string limit = std::to_string(options_.stallTimeout.count()) + " ms";
    retry(makeError(RelayError::Stalled, lastPacket > 0
                                             ? "no media for " + limit
                                             : "no media within " + limit + " of starting"));
  }
}

void PipelineRelay::mediaFlowing() {
  if (state_ != model::RunState::Starting) return;
  runningSinceUs_ = nowUs();
  restarts_.noteHealthy();
  setState(model::RunState::Running);
}

void PipelineRelay::retry(Error error) {
  if (state_ != model::RunState::Starting && state_ != model::RunState::Running) return;
  lastError_ = error.message;
  setState(model::RunState::Retrying, error);
  teardown([this, error](bool) {
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

void PipelineRelay::failed(Error error) {
  lastError_ = error.message;
  restartTimer_.cancel();
  teardown([](bool) {});
  setState(model::RunState::Failed, std::move(error));
}

void PipelineRelay::stop(std::function<void()> done) {
  if (state_ == model::RunState::Stopped || state_ == model::RunState::Stopping) {
    deferred_.post([done] { done(); }, [done] { done(); });
    return;
  }
  restartTimer_.cancel();
  setState(model::RunState::Stopping);
  teardown([this, done](bool abandoned) {
    if (abandoned) {
      const Error error =
          makeError(RelayError::StopTimeout, "the pipeline did not stop within " +
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

void PipelineRelay::teardown(std::function<void(bool abandoned)> then) {
  busWatch_.cancel();
  watchdog_.cancel();
  std::unique_ptr<media::RelayPipeline> pipeline = std::move(pipeline_);
  if (!pipeline) {
    deferred_.post([then] { then(false); });
    return;
  }
  auto shared = std::make_shared<TeardownState>();
  std::weak_ptr<bool> alive = alive_;
  auto report = [shared, alive, then](bool abandoned) {
    if (shared->reported || alive.expired()) return;
    shared->reported = true;
    then(abandoned);
  };
  // Reaching NULL can block on the network (an RTSP teardown): never on the control context.
  std::thread([pipeline = std::move(pipeline), context = context_, report]() mutable {
    pipeline.reset();
    auto* done = new std::function<void()>([report] { report(false); });
    g_main_context_invoke_full(
        context.get(), G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
          (*static_cast<std::function<void()>*>(data))();
          return G_SOURCE_REMOVE;
        },
        done, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
  }).detach();
  if (alive.expired()) return;  // from the destructor: nobody to tell
  stopTimer_ = Source::timeout(
      context_.get(), options_.stopTimeout,
      [report] {
        report(true);
        return false;
      },
      "su-relay-stop-timeout");
}

RelayStats PipelineRelay::stats() const {
  RelayStats stats;
  stats.state = state_;
  stats.source = media::describeSource(source_);
  stats.restarts = restartCount_;
  stats.lastError = lastError_;
  const std::int64_t now = nowUs();
  if (state_ == model::RunState::Running) stats.uptimeMs = (now - runningSinceUs_) / 1000;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    TrackStats track{.mid = tracks_[i].mid, .type = tracks_[i].type};
    if (pipeline_) {
      const media::TrackCounters& counters = pipeline_->counters(i);
      track.packets = counters.packets.load(std::memory_order_relaxed);
      track.bytes = counters.bytes.load(std::memory_order_relaxed);
      track.bitrateKbps = bitrateKbps_.empty() ? 0 : bitrateKbps_[i];
      const std::int64_t first = counters.firstPacketUs.load(std::memory_order_relaxed);
      const std::int64_t last = counters.lastPacketUs.load(std::memory_order_relaxed);
      if (first > 0) track.firstPacketMs = (first - launchedUs_) / 1000;
      if (last > 0) track.lastPacketAgeMs = (now - last) / 1000;
    }
    stats.tracks.push_back(track);
  }
  return stats;
}

}  // namespace su::supervisor
