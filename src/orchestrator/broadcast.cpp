#include "orchestrator/broadcast.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "core/uri.hpp"
#include "janus/errors.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"
#include "orchestrator/broadcast_steps.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

GQuark errorDomainOf(BroadcastError) {
  return g_quark_from_static_string("su-broadcast-error");
}

namespace {

std::vector<model::MountPointPort> portsOfSpec(const model::MountPoint& spec) {
  std::vector<model::MountPointPort> ports;
  for (const model::MediaTrack& media : spec.media) {
    if (!media.port || !media.mid) continue;
    ports.push_back({.mid = *media.mid,
                     .type = media.type,
                     .port = *media.port,
                     .rtcpPort = media.rtcpPort,
                     .port2 = media.port2,
                     .port3 = media.port3});
  }
  return ports;
}

}  // namespace

Broadcast::Broadcast(GMainContext* context, std::string id, model::BroadcastRequest request,
                     Backends backends, BroadcastOptions options, const Observer& observer)
    : context_(GRef<GMainContext>::ref(context)),
      id_(std::move(id)),
      request_(std::move(request)),
      backends_(backends),
      options_(options),
      observer_(observer),
      deferred_(context),
      tasks_(context) {
  if (request_.mountpointSpec && !request_.mountpointSpec->adminKey) {
    request_.mountpointSpec->adminKey = options_.streamingAdminKey;
  }
  result_.request = request_;
  result_.broadcastId = id_;
  result_.state = model::RunState::Stopped;
  for (const model::BroadcastOutput& output : request_.outputs) {
    result_.outputs.push_back({.janusUrl = output.janusUrl, .state = model::RunState::Stopped});
  }
  outputLinks_.resize(request_.outputs.size());
}

Broadcast::~Broadcast() {
  if (!lifecycle_.empty()) {
    GST_WARNING(
        "broadcast %s destroyed with %zu cleanup step(s) not done (not stopped, or "
        "Janus not reachable since)",
        id_.c_str(), lifecycle_.size());
  }
}

const model::BroadcastResult& Broadcast::result() const {
  if (relay_ && result_.relay) {
    const supervisor::RelayStats stats = relay_->stats();
    result_.relay->state = stats.state;
    result_.relay->restarts = stats.restarts;
    result_.relay->lastError = stats.lastError;
  }
  return result_;
}

bool Broadcast::active() const noexcept {
  return result_.state == model::RunState::Starting || result_.state == model::RunState::Running ||
         result_.state == model::RunState::Retrying;
}

void Broadcast::setState(model::RunState state) {
  if (result_.state == state) return;
  GST_INFO("broadcast %s: %s -> %s", id_.c_str(), model::nameOf(result_.state).data(),
           model::nameOf(state).data());
  result_.state = state;
  outputsFollow(state);
  if (result_.health && !active()) result_.health->healthy = false;
  if (observer_.onState) observer_.onState(id_, state);
}

void Broadcast::event(const std::string& name, json::Value data) {
  GST_DEBUG("broadcast %s: %s", id_.c_str(), name.c_str());
  if (observer_.onEvent) observer_.onEvent(id_, name, data);
}

void Broadcast::reportErrors(const std::string& phase, const std::vector<Error>& errors) {
  if (!observer_.onError) return;
  for (const Error& error : errors)
    observer_.onError(id_, phase, error);
}

// --- the start --------------------------------------------------------------------------------

void Broadcast::start(std::function<void()> done) {
  startDone_ = std::move(done);
  startedUs_ = g_get_monotonic_time();
  result_.error.reset();
  setState(model::RunState::Starting);
  event("broadcast_starting",
        details(json::ObjectWriter().set("source_kind", model::nameOf(request_.sourceKind))));
  startTask_ = run();
  startTask_.start(context_.get(), [this](Result<void>) {
    if (auto finished = std::exchange(startDone_, nullptr)) finished();
  });
}

Task<void> Broadcast::run() {
  const Result<void> started = co_await startSteps();
  if (!started) {
    beginFailure(failedPhase_, started.error());
    (void)co_await undoFailure();
    co_return {};
  }
  finishStart();
  co_return {};
}

Task<void> Broadcast::startSteps() {
  using Step = Task<void> (Broadcast::*)();
  // A stop asked for meanwhile ends the start after the step in flight: what that step made in
  // Janus is registered by then, and undone with the rest. The waits end at once.
  for (Step step : {&Broadcast::provisionMountpoint, &Broadcast::provisionOutputs,
                    &Broadcast::ensureRoom, &Broadcast::watchRoom, &Broadcast::forwardPublisher,
                    &Broadcast::startObs, &Broadcast::startRelay, &Broadcast::confirmMedia}) {
    if (stopping_.fired()) co_return failure("start", stoppedWhileStarting());
    const Result<void> done = co_await (this->*step)();
    if (!done) co_return done;
  }
  co_return {};
}

Error Broadcast::failure(std::string phase, Error error) {
  failedPhase_ =
      error.is(errorDomainOf(BroadcastError::Stopped), static_cast<int>(BroadcastError::Stopped))
          ? "start"
          : std::move(phase);
  return error;
}

Task<void> Broadcast::pause(Milliseconds interval) {
  co_return co_await anyOf(delay(interval), failWhen<void>(stopping_, stoppedWhileStarting()));
}

void Broadcast::finishStart() {
  if (request_.sourceKind == model::SourceKind::FrontendOwned) {
    result_.note =
        "frontend_owned: nothing is relayed; the browser publishes by itself (to its VideoRoom, "
        "or straight to the mountpoint's ports)";
  }
  // An adoption whose source is away runs as retrying until its relay runs (onRelayState).
  setState(awaitingMedia_ && !relayReachedRunning_ ? model::RunState::Retrying
                                                   : model::RunState::Running);
  const std::int64_t ms = (g_get_monotonic_time() - startedUs_) / 1000;
  event("broadcast_running", details(json::ObjectWriter().set("start_ms", ms)));
  if (observer_.onMetric) {
    observer_.onMetric("broadcast_start_ms", static_cast<double>(ms),
                       {{"source_kind", std::string(model::nameOf(request_.sourceKind))}});
  }
}

// --- the end ----------------------------------------------------------------------------------

// The end begins at once (state Stopping, waits ended), so that nothing else can begin it again
// before the task that undoes everything runs.
void Broadcast::beginFailure(const std::string& phase, Error error) {
  stopping_.fire();
  error.message = model::redactText(error.message);
  GST_WARNING("broadcast %s: %s failed: %s", id_.c_str(), phase.c_str(), error.message.c_str());
  if (observer_.onError) observer_.onError(id_, phase, error);
  result_.error = model::ResultError::from(error);
  setState(model::RunState::Stopping);
}

Task<void> Broadcast::undoFailure() {
  reportErrors("cleanup", errorsOf(co_await undoAll()));
  setState(model::RunState::Failed);
  co_return {};
}

Task<std::vector<Error>> Broadcast::undoAll() {
  auto failures = co_await lifecycle_.closeAll(
      [this](const std::string& what, const std::string& kind, const Result<void>& outcome) {
        if (outcome) {
          event(kind.empty() ? "janus_resource_closed" : kind,
                details(json::ObjectWriter().set("what", what)));
        }
      },
      // Janus did not answer: what it holds is still there, undone when it is back (restore).
      janus::isUnreachable);
  if (!lifecycle_.empty()) {
    event("cleanup_pending",
          details(json::ObjectWriter().set("steps", static_cast<std::int64_t>(lifecycle_.size()))));
  } else {
    releaseOutputs();
  }
  co_return errorsOf(std::move(failures));
}

void Broadcast::stop(std::function<void()> done) {
  if (result_.state == model::RunState::Starting) {
    // The start ends after the step in flight and undoes itself: that is the stop.
    auto startDone = std::exchange(startDone_, nullptr);
    startDone_ = [startDone, done] {
      if (startDone) startDone();
      done();
    };
    stopping_.fire();
    return;
  }
  if (!active()) {
    // Nothing to undo; still answered on the next iteration (not at all if this goes first).
    deferred_.post(std::move(done));
    return;
  }
  stopping_.fire();
  setState(model::RunState::Stopping);
  event("broadcast_stopping");
  endTask_ = stopping(std::move(done));
  endTask_.start(context_.get());
}

Task<void> Broadcast::stopping(std::function<void()> done) {
  const std::vector<Error> failures = errorsOf(co_await undoAll());
  if (!failures.empty()) {
    reportErrors("cleanup", failures);
    std::string message = std::to_string(failures.size()) + " cleanup step(s) failed:";
    for (const Error& failure : failures)
      message += " " + failure.message + ";";
    if (!lifecycle_.empty()) {
      message += " " + std::to_string(lifecycle_.size()) + " will be retried when Janus is back";
    }
    result_.error = model::ResultError::from(
        Error{failures.front().domain, failures.front().code, message, {}});
  }
  setState(model::RunState::Stopped);
  event("broadcast_stopped");
  done();
  co_return {};
}

// --- the mountpoint ---------------------------------------------------------------------------

// What Janus is asked to create: the spec, and for an in-process relay an RTCP port of Janus's
// choosing on every video media that names none — so that viewers' keyframe requests reach the
// relay (media/output.hpp).
model::MountPoint mountpointToCreate(const model::BroadcastRequest& request,
                                     const model::MountPoint& wanted) {
  model::MountPoint spec = wanted;
  if (request.effectiveRelayKind() != model::RelayKind::Gstreamer) return spec;
  for (model::MediaTrack& media : spec.media) {
    if (media.type == model::MediaType::Video && !media.rtcpPort) media.rtcpPort = 0;
  }
  return spec;
}

Task<void> Broadcast::provisionMountpoint() {
  if (!request_.mountpointSpec) co_return {};  // frontend_owned without one
  const model::MountPoint spec = mountpointToCreate(request_, *request_.mountpointSpec);
  if (!request_.createMountpoint) {
    result_.mountpoint = model::MountPointSection{
        .id = spec.id.value_or(0), .created = false, .media = portsOfSpec(spec)};
    co_return {};
  }
  auto created = co_await createMountpoint(backends_.streaming, spec);
  if (!created) co_return failure("mountpoint", created.error());
  result_.mountpoint = model::MountPointSection{
      .id = created->id, .created = true, .media = created->ports, .raw = created->raw};
  event("mountpoint_created", details(json::ObjectWriter().set("id", created->id)));
  if (request_.ownedByApp) {
    lifecycle_.add("destroy mountpoint " + std::to_string(created->id),
                   [this, id = created->id] { return destroyMountpoint(id); });
  }
  co_return {};
}

Task<janus::MountPointCreated> Broadcast::createMountpoint(janus::StreamingBackend& streaming,
                                                           const model::MountPoint& spec) {
  auto created = co_await call<janus::MountPointCreated>(
      [&](auto done) { streaming.create(spec, std::move(done)); });
  const bool exists =
      !created && spec.id && janus::isPluginError(created.error(), janus::kStreamingCannotCreate);
  if (exists && adopt_) {
    // The node that died left it for this one, with the id and ports the request names.
    GST_INFO("broadcast %s: adopting mountpoint %" G_GINT64_FORMAT, id_.c_str(), *spec.id);
    event("mountpoint_adopted", details(json::ObjectWriter().set("id", *spec.id)));
    co_return janus::MountPointCreated{.id = *spec.id, .ports = portsOfSpec(spec)};
  }
  if (exists && takeOver_) {
    // A worker that died while it held this start left the mountpoint behind.
    GST_INFO("broadcast %s: taking over mountpoint %" G_GINT64_FORMAT " left by another worker",
             id_.c_str(), *spec.id);
    if (auto removed = co_await destroyMountpointOn(streaming, *spec.id, spec); !removed) {
      co_return removed.error();
    }
    event("mountpoint_taken_over", details(json::ObjectWriter().set("id", *spec.id)));
    created = co_await call<janus::MountPointCreated>(
        [&](auto done) { streaming.create(spec, std::move(done)); });
  }
  co_return created;
}

Task<void> Broadcast::destroyMountpoint(std::int64_t id) {
  co_return co_await destroyMountpointOn(backends_.streaming, id, *request_.mountpointSpec);
}

Task<void> Broadcast::destroyMountpointOn(janus::StreamingBackend& streaming, std::int64_t id,
                                          const model::MountPoint& spec) {
  auto removed = co_await call<janus::Removal>([&](auto done) {
    streaming.destroy(id, spec.secret, spec.permanent.value_or(false), std::move(done));
  });
  if (!removed) co_return removed.error();
  co_return {};
}

// --- the relay --------------------------------------------------------------------------------

Task<void> Broadcast::startRelay() {
  if (!relayed(request_)) co_return {};
  auto plan = planOutputTracks();
  if (!plan) co_return failure("relay", plan.error());
  auto relay =
      backends_.relays.create(id_, request_, std::move(plan).value(),
                              [this](model::RunState state, const std::optional<Error>& error) {
                                onRelayState(state, error);
                              });
  if (!relay) co_return failure("relay", relay.error());
  relay_ = std::move(relay).value();
  result_.relay = model::RelaySection{.kind = request_.effectiveRelayKind(),
                                      .state = model::RunState::Starting,
                                      .input = relay_->stats().source};
  lifecycle_.add(
      "stop the relay", [this] { return stopRelay(); }, "relay_stopped");
  relay_->start();
  event("relay_started",
        details(json::ObjectWriter()
                    .set("relay_kind", model::nameOf(request_.effectiveRelayKind()))
                    .set("input", result_.relay->input.value_or(""))));
  const Result<void> running = co_await anyOf(relayRunning(), relayTimeout(),
                                              failWhen<void>(stopping_, stoppedWhileStarting()));
  if (!running && adopt_ && running.error().is(BroadcastError::MediaTimeout)) {
    // Adopted, it was running: its source may be away for now, as a running broadcast's may be.
    // It runs on as one does, retrying (within the relay's restart budget), instead of the
    // adoption failing and the broadcast being lost to the cluster.
    awaitingMedia_ = true;
    event("adopted_without_media",
          details(json::ObjectWriter().set("error", running.error().message)));
    co_return {};
  }
  if (!running) co_return failure("relay", running.error());
  co_return {};
}

Task<void> Broadcast::relayRunning() {
  for (;;) {
    if (relayReachedRunning_) co_return {};
    if (relayFailure_) co_return *relayFailure_;
    co_await relayChanged_.next();
  }
}

Task<void> Broadcast::relayTimeout() {
  co_await sleep(options_.mediaTimeout);
  const auto lastError = relay_->stats().lastError;
  co_return makeError(BroadcastError::MediaTimeout,
                      "the relay sent no media within " +
                          std::to_string(options_.mediaTimeout.count()) + " ms" +
                          (lastError ? " (last error: " + *lastError + ")" : ""));
}

Task<void> Broadcast::stopRelay() {
  co_return co_await call<void>(
      [this](Callback<void> done) { relay_->stop([done] { done(Result<void>()); }); });
}

void Broadcast::onRelayState(model::RunState state, const std::optional<Error>& error) {
  if (result_.relay) result_.relay->state = state;
  if (state == model::RunState::Running) relayReachedRunning_ = true;
  if (state == model::RunState::Failed) {
    relayFailure_ = error.value_or(makeError(BroadcastError::RelayFailed, "the relay failed"));
  }
  relayChanged_.notify();  // the start waits for it to run
  if (result_.state != model::RunState::Running && result_.state != model::RunState::Retrying) {
    return;
  }
  if (state == model::RunState::Retrying) {
    event("relay_restarted",
          details(json::ObjectWriter().set("error", error ? error->message : std::string())));
    if (observer_.onMetric) observer_.onMetric("relay_restarts", 1, {{"broadcast_id", id_}});
    setState(model::RunState::Retrying);
  } else if (state == model::RunState::Running) {
    setState(model::RunState::Running);
  } else if (state == model::RunState::Failed) {
    // Out of restarts: what the broadcast holds in Janus goes too (from the next iteration, as
    // undoing stops the relay that is calling).
    beginFailure("relay", error.value_or(
                              makeError(BroadcastError::RelayFailed, "the relay failed for good")));
    endTask_ = undoFailure();
    endTask_.start(context_.get());
  }
}

// --- OBS ----------------------------------------------------------------------------------------

Task<void> Broadcast::startObs() {
  if (request_.sourceKind != model::SourceKind::Obs) co_return {};
  auto client = obs::Client::create(
      context_.get(),
      {.url = uri::build(request_.obsSecure ? "wss" : "ws", request_.obsHost, request_.obsPort),
       .password = request_.obsPassword,
       .connectTimeout = options_.obsTimeout,
       .requestTimeout = options_.obsTimeout});
  if (!client) co_return failure("obs", client.error());
  obsClient_ = std::move(client).value();
  obsBridge_ = std::make_unique<obs::Bridge>(*obsClient_, options_.obsTimeout);
  lifecycle_.add(
      "disconnect from OBS", [this] { return disconnectObs(); }, "obs_disconnected");
  result_.srs = model::SrsSection{.publishUrl = request_.srs->publishUrl()};
  const Result<void> ready =
      co_await anyOf(connectObs(), failWhen<void>(stopping_, stoppedWhileStarting()));
  if (!ready) co_return failure("obs", ready.error());
  // Not cut short by a stop: a stream OBS starts must be known, to be stopped with the rest.
  const Result<void> started =
      co_await call<void>([this](Callback<void> done) { obsBridge_->start(std::move(done)); });
  if (!started) co_return failure("obs", started.error());
  lifecycle_.add(
      "stop OBS streaming", [this] { return stopObsStreaming(); }, "obs_stopped");
  event("obs_streaming", details(json::ObjectWriter().set("server", request_.srs->serverUrl())));
  obsClient_->addListener(&obsWatch_);
  co_return {};
}

void Broadcast::ObsWatch::onConnectionLost(const Error& reason) {
  // The relay notices the stream stop by itself (its stall watchdog restarts it).
  broadcast.event("obs_lost", details(json::ObjectWriter().set("reason", reason.describe())));
}

void Broadcast::onObsReconnected() {
  if (!active() || stopping_.fired() || obsRestartTask_.busy()) return;
  obsRestartTask_ = restartObsStreaming();
  obsRestartTask_.start(context_.get());
}

Task<void> Broadcast::restartObsStreaming() {
  Result<void> streaming = co_await call<void>([this](Callback<void> done) {
    obsBridge_->configureCustomRtmp(request_.srs->serverUrl(), request_.srs->streamKey,
                                    std::move(done));
  });
  if (stopping_.fired()) co_return {};  // its stop stops OBS streaming
  if (streaming) {
    streaming =
        co_await call<void>([this](Callback<void> done) { obsBridge_->start(std::move(done)); });
  }
  if (!streaming) {
    // Reported; the next reconnection tries again.
    if (observer_.onError) observer_.onError(id_, "obs", streaming.error());
    co_return {};
  }
  event("obs_streaming",
        details(json::ObjectWriter().set("server", request_.srs->serverUrl()).set("again", true)));
  co_return {};
}

Task<void> Broadcast::connectObs() {
  const Result<void> connected =
      co_await call<void>([this](Callback<void> done) { obsClient_->connect(std::move(done)); });
  if (!connected) co_return connected;
  co_return co_await call<void>([this](Callback<void> done) {
    obsBridge_->configureCustomRtmp(request_.srs->serverUrl(), request_.srs->streamKey,
                                    std::move(done));
  });
}

Task<void> Broadcast::disconnectObs() {
  obsClient_->removeListener(&obsWatch_);
  obsClient_->close();
  co_return {};
}

Task<void> Broadcast::stopObsStreaming() {
  co_return co_await call<void>([this](Callback<void> done) { obsBridge_->stop(std::move(done)); });
}

// --- Janus's word that media arrives ------------------------------------------------------------

namespace {

// Janus's view of one mountpoint's media: fresh when every audio and video media's age_ms is
// under `freshAge` (and, while confirming, came after the first question: Janus counts age_ms
// from the mountpoint's creation until a packet arrives).
struct MediaView {
  bool fresh = false;
  std::vector<model::MediaHealth> media;
  std::string ages;  // "age_ms: v 12 ms, a none", or why Janus did not answer: for messages
};

MediaView viewOf(const Result<janus::MountPointInfo>& info, Milliseconds freshAge,
                 std::optional<std::int64_t> sinceFirstMs = std::nullopt) {
  MediaView view{.fresh = static_cast<bool>(info)};
  if (!info) {
    view.ages = info.error().message;
    return view;
  }
  view.ages = "age_ms: ";
  for (const janus::MountPointMedia& media : info->media) {
    if (media.type == model::MediaType::Data) continue;
    view.ages += (view.media.empty() ? "" : ", ") + media.mid + " " +
                 (media.ageMs ? std::to_string(*media.ageMs) + " ms" : "none");
    const bool fresh = media.ageMs && *media.ageMs < freshAge.count() &&
                       (!sinceFirstMs || *media.ageMs < *sinceFirstMs);
    view.media.push_back({.mid = media.mid, .ageMs = media.ageMs, .fresh = fresh});
    view.fresh = view.fresh && fresh;
  }
  return view;
}

}  // namespace

std::vector<Broadcast::MediaTarget> Broadcast::mediaTargets() {
  std::vector<MediaTarget> targets;
  if (result_.mountpoint && result_.mountpoint->id != 0) {
    targets.push_back({&backends_.streaming, result_.mountpoint->id, &*request_.mountpointSpec,
                       "mountpoint " + std::to_string(result_.mountpoint->id), 0, nullptr});
  }
  for (std::size_t i = 0; i < result_.outputs.size(); ++i) {
    const auto& mountpoint = result_.outputs[i].mountpoint;
    if (!mountpoint || !outputLinks_[i].server) continue;
    targets.push_back({&outputLinks_[i].server->streaming(), mountpoint->id,
                       &*request_.outputs[i].mountpointSpec,
                       "output " + std::to_string(i + 1) + " (" +
                           model::redactText(request_.outputs[i].janusUrl) + ") mountpoint " +
                           std::to_string(mountpoint->id),
                       i + 1, outputLinks_[i].server});
  }
  return targets;
}

Task<void> Broadcast::confirmMedia() {
  if (!expectsMedia(request_) || awaitingMedia_) co_return {};
  const std::vector<MediaTarget> targets = mediaTargets();
  if (targets.empty()) co_return {};
  const std::int64_t firstAskedUs = g_get_monotonic_time();
  std::int64_t freshSinceUs = 0;
  for (;;) {
    const std::int64_t askedUs = g_get_monotonic_time();
    const std::int64_t sinceFirstMs = (askedUs - firstAskedUs) / 1000;
    std::vector<MediaView> views;
    bool fresh = true;
    for (const MediaTarget& target : targets) {
      auto info = co_await call<janus::MountPointInfo>([&](auto done) {
        target.streaming->info(target.id, target.spec->secret, std::move(done));
      });
      views.push_back(viewOf(info, options_.freshAge, sinceFirstMs));
      fresh = fresh && views.back().fresh;
    }
    const std::int64_t now = g_get_monotonic_time();
    freshSinceUs = fresh ? (freshSinceUs ? freshSinceUs : now) : 0;
    if (fresh && now - freshSinceUs >= options_.confirmFor.count() * 1000) {
      model::BroadcastHealth health{.healthy = true, .checkedAtMs = g_get_real_time() / 1000};
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].output == 0) {
          health.media = views[i].media;
        } else {
          health.outputs.push_back({.janusUrl = request_.outputs[targets[i].output - 1].janusUrl,
                                    .healthy = true,
                                    .media = views[i].media});
        }
      }
      if (relay_) health.relayState = relay_->stats().state;
      if (fromRoom(request_)) health.forwarding = forwardLive_;
      result_.health = std::move(health);
      event("media_confirmed", details(json::ObjectWriter().set("mountpoint", targets.front().id)));
      co_return {};
    }
    if (now - firstAskedUs > options_.mediaTimeout.count() * 1000) {
      // "... on mountpoint 7 within 2000 ms (age_ms: v 2084 ms); on output 1 (...) ..."
      std::string message = "Janus reports no fresh media";
      bool first = true;
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (views[i].fresh) continue;
        message +=
            std::string(first ? "" : ";") + " on " + targets[i].where +
            (first ? " within " + std::to_string(options_.mediaTimeout.count()) + " ms" : "") +
            " (" + views[i].ages + ")";
        first = false;
      }
      co_return failure("media", makeError(BroadcastError::MediaTimeout, message));
    }
    if (auto waited = co_await pause(options_.pollInterval); !waited) {
      co_return failure("start", waited.error());
    }
  }
}

// --- health -----------------------------------------------------------------------------------

void Broadcast::health(std::function<void(HealthReport)> done) {
  tasks_.spawn(reportHealth(std::move(done)));
}

Task<void> Broadcast::reportHealth(std::function<void(HealthReport)> done) {
  HealthReport report;
  if (relay_) {
    report.relay = relay_->stats();
    report.health.relayState = report.relay->state;
  }
  report.health.checkedAtMs = g_get_real_time() / 1000;
  if (obsBridge_ && active()) {
    auto status = co_await call<obs::StreamStatus>(
        [this](Callback<obs::StreamStatus> answer) { obsBridge_->status(std::move(answer)); });
    report.health.obsStreaming = status && status->active;
  }
  if (fromRoom(request_)) report.health.forwarding = forwardLive_;
  const bool relayOk = (!relay_ || report.relay->state == model::RunState::Running) &&
                       report.health.obsStreaming.value_or(true) &&
                       report.health.forwarding.value_or(true);
  const bool running = result_.state == model::RunState::Running;
  bool fresh = true;
  if (active()) {
    for (const MediaTarget& target : mediaTargets()) {
      auto info = co_await call<janus::MountPointInfo>([&](Callback<janus::MountPointInfo> answer) {
        target.streaming->info(target.id, target.spec->secret, std::move(answer));
      });
      const MediaView view = viewOf(info, options_.freshAge);
      fresh = fresh && view.fresh;
      std::optional<std::string> error;
      if (!info) error = model::redactText(info.error().message);
      if (target.output == 0) {
        report.health.media = view.media;
        report.health.janusError = error;
      } else {
        report.health.outputs.push_back({.janusUrl = request_.outputs[target.output - 1].janusUrl,
                                         .healthy = view.fresh && active(),
                                         .media = view.media,
                                         .janusError = error});
      }
    }
  }
  report.health.healthy = running && relayOk && (fresh || !expectsMedia(request_));
  result_.health = report.health;
  done(report);
  co_return {};
}

}  // namespace su::orchestrator
