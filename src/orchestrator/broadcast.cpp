#include "orchestrator/broadcast.hpp"

#include <algorithm>

#include "core/log.hpp"
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
      deferred_(context) {
  result_.request = request_;
  result_.broadcastId = id_;
  result_.state = model::RunState::Stopped;
}

Broadcast::~Broadcast() {
  *alive_ = false;
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
  if (observer_.onState) observer_.onState(id_, state);
}

void Broadcast::event(const std::string& name, json::Value data) {
  GST_DEBUG("broadcast %s: %s", id_.c_str(), name.c_str());
  if (observer_.onEvent) observer_.onEvent(id_, name, data);
}

void Broadcast::start(std::function<void()> done) {
  startDone_ = std::move(done);
  startedUs_ = g_get_monotonic_time();
  result_.error.reset();
  setState(model::RunState::Starting);
  event("broadcast_starting",
        details(json::ObjectWriter().set("source_kind", model::nameOf(request_.sourceKind))));
  // Each step is a no-op for the source kinds it does not concern.
  provisionMountpoint([this] {
    ensureRoom([this] {
      watchRoom([this] {
        awaitPublisher([this] {
          startObs([this] { startRelay([this] { confirmMedia([this] { finishStart(); }); }); });
        });
      });
    });
  });
}

bool Broadcast::starting(const std::weak_ptr<bool>& alive) const {
  return !alive.expired() && result_.state == model::RunState::Starting;
}

void Broadcast::finishStart() {
  stepTimer_.cancel();
  if (request_.sourceKind == model::SourceKind::FrontendOwned) {
    result_.note =
        "frontend_owned: nothing is relayed; the browser publishes by itself (to its VideoRoom, "
        "or straight to the mountpoint's ports)";
  }
  setState(model::RunState::Running);
  const std::int64_t ms = (g_get_monotonic_time() - startedUs_) / 1000;
  event("broadcast_running", details(json::ObjectWriter().set("start_ms", ms)));
  if (observer_.onMetric) {
    observer_.onMetric("broadcast_start_ms", static_cast<double>(ms),
                       {{"source_kind", std::string(model::nameOf(request_.sourceKind))}});
  }
  if (auto done = std::exchange(startDone_, nullptr)) done();
}

void Broadcast::fail(const std::string& phase, Error error) {
  stepTimer_.cancel();
  restoreTimer_.cancel();
  relayRunning_.reset();
  publisherAwaited_ = nullptr;
  error.message = model::redactText(error.message);
  GST_WARNING("broadcast %s: %s failed: %s", id_.c_str(), phase.c_str(), error.message.c_str());
  if (observer_.onError) observer_.onError(id_, phase, error);
  result_.error = model::ResultError::from(error);
  setState(model::RunState::Stopping);
  undoAll([this](std::vector<Error> failures) {
    for (const Error& failure : failures) {
      if (observer_.onError) observer_.onError(id_, "cleanup", failure);
    }
    setState(model::RunState::Failed);
    if (auto done = std::exchange(startDone_, nullptr)) done();
  });
}

void Broadcast::undoAll(std::function<void(std::vector<Error>)> done) {
  std::weak_ptr<bool> alive = alive_;
  lifecycle_.closeAll(
      [this, alive, done](std::vector<Error> failures) {
        if (alive.expired()) return;
        if (!lifecycle_.empty()) {
          event("cleanup_pending", details(json::ObjectWriter().set(
                                       "steps", static_cast<std::int64_t>(lifecycle_.size()))));
        }
        done(std::move(failures));
      },
      [this, alive](const std::string& what, const std::string& kind, const Result<void>& outcome) {
        if (!alive.expired() && outcome) {
          event(kind.empty() ? "janus_resource_closed" : kind,
                details(json::ObjectWriter().set("what", what)));
        }
      },
      // Janus did not answer: what it holds is still there, undone when it is back (restore).
      janus::isUnreachable);
}

void Broadcast::retryCleanup() {
  if (lifecycle_.empty() || cleaningUp_) return;
  cleaningUp_ = true;
  event("cleanup_retry");
  undoAll([this](std::vector<Error> failures) {
    cleaningUp_ = false;
    for (const Error& failure : failures) {
      if (observer_.onError) observer_.onError(id_, "cleanup", failure);
    }
    // Still unreachable: the next restore tries again. Refused for good: reported above.
    if (!lifecycle_.empty() || !failures.empty()) return;
    event("cleanup_completed");
    // A stop's only error is its cleanup's, done now; a failed start keeps the reason it failed.
    if (result_.state == model::RunState::Stopped) result_.error.reset();
  });
}

void Broadcast::stop(std::function<void()> done) {
  if (result_.state == model::RunState::Starting) {
    // Interrupt the start: its rollback is the stop.
    auto startDone = std::exchange(startDone_, nullptr);
    startDone_ = [startDone, done] {
      if (startDone) startDone();
      done();
    };
    fail("start", makeError(BroadcastError::Stopped, "stopped while starting"));
    return;
  }
  if (!active()) {
    deferred_.post(done, done);  // nothing to undo; still answered on the next iteration
    return;
  }
  restoreTimer_.cancel();
  setState(model::RunState::Stopping);
  event("broadcast_stopping");
  undoAll([this, done](std::vector<Error> failures) {
    if (!failures.empty()) {
      std::string message = std::to_string(failures.size()) + " cleanup step(s) failed:";
      for (const Error& failure : failures) {
        if (observer_.onError) observer_.onError(id_, "cleanup", failure);
        message += " " + failure.message + ";";
      }
      if (!lifecycle_.empty()) {
        message += " " + std::to_string(lifecycle_.size()) + " will be retried when Janus is back";
      }
      result_.error = model::ResultError::from(
          Error{failures.front().domain, failures.front().code, message, {}});
    }
    setState(model::RunState::Stopped);
    event("broadcast_stopped");
    done();
  });
}

// --- the mountpoint ---------------------------------------------------------------------------

void Broadcast::provisionMountpoint(Next next) {
  if (!request_.mountpointSpec) {
    next();  // frontend_owned without one
    return;
  }
  const model::MountPoint& spec = *request_.mountpointSpec;
  if (!request_.createMountpoint) {
    result_.mountpoint = model::MountPointSection{
        .id = spec.id.value_or(0), .created = false, .media = portsOfSpec(spec)};
    next();
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  backends_.streaming.create(spec, [this, alive, next](Result<janus::MountPointCreated> created) {
    if (!starting(alive)) {
      // Interrupted meanwhile: whatever Janus created is this broadcast's to undo.
      if (!alive.expired() && created && request_.ownedByApp) {
        mountpointDestroyer(created->id)([](Result<void>) {});
      }
      return;
    }
    if (!created) {
      fail("mountpoint", created.error());
      return;
    }
    result_.mountpoint = model::MountPointSection{
        .id = created->id, .created = true, .media = created->ports, .raw = created->raw};
    event("mountpoint_created", details(json::ObjectWriter().set("id", created->id)));
    if (request_.ownedByApp) {
      lifecycle_.add("destroy mountpoint " + std::to_string(created->id),
                     mountpointDestroyer(created->id));
    }
    next();
  });
}

Lifecycle::Closer Broadcast::mountpointDestroyer(std::int64_t id) const {
  janus::StreamingBackend& streaming = backends_.streaming;
  const auto secret = request_.mountpointSpec->secret;
  const bool permanent = request_.mountpointSpec->permanent.value_or(false);
  return [&streaming, id, secret, permanent](Lifecycle::Done done) {
    streaming.destroy(id, secret, permanent, [done](Result<janus::Removal> removed) {
      done(removed ? Result<void>() : removed.error());
    });
  };
}

// --- the relay --------------------------------------------------------------------------------

void Broadcast::startRelay(Next next) {
  if (!relayed(request_)) {
    next();
    return;
  }
  auto plan =
      media::planOutput(*request_.mountpointSpec, result_.mountpoint->media, request_.host, id_);
  if (!plan) {
    fail("relay", plan.error());
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  auto relay = backends_.relays.create(
      id_, request_, std::move(plan).value(),
      [this, alive](model::RunState state, const std::optional<Error>& error) {
        if (!alive.expired()) onRelayState(state, error);
      });
  if (!relay) {
    fail("relay", relay.error());
    return;
  }
  relay_ = std::move(relay).value();
  result_.relay = model::RelaySection{.kind = request_.effectiveRelayKind(),
                                      .state = model::RunState::Starting,
                                      .input = relay_->stats().source};
  supervisor::Relay* raw = relay_.get();
  lifecycle_.add(
      "stop the relay",
      [raw](Lifecycle::Done done) { raw->stop([done] { done(Result<void>()); }); },
      "relay_stopped");
  relayRunning_ = std::move(next);
  stepTimer_ = Source::timeout(
      context_.get(), options_.mediaTimeout,
      [this] {
        const auto lastError = relay_->stats().lastError;
        fail("relay", makeError(BroadcastError::MediaTimeout,
                                "the relay sent no media within " +
                                    std::to_string(options_.mediaTimeout.count()) + " ms" +
                                    (lastError ? " (last error: " + *lastError + ")" : "")));
        return false;
      },
      "su-broadcast-relay-timeout");
  relay_->start();
  event("relay_started",
        details(json::ObjectWriter()
                    .set("relay_kind", model::nameOf(request_.effectiveRelayKind()))
                    .set("input", result_.relay->input.value_or(""))));
}

void Broadcast::onRelayState(model::RunState state, const std::optional<Error>& error) {
  if (result_.relay) result_.relay->state = state;
  if (relayRunning_) {
    if (state == model::RunState::Running) {
      stepTimer_.cancel();
      auto next = std::move(*relayRunning_);
      relayRunning_.reset();
      next();
    } else if (state == model::RunState::Failed) {
      fail("relay", error.value_or(makeError(BroadcastError::RelayFailed, "the relay failed")));
    }
    return;
  }
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
    // Out of restarts: what the broadcast holds in Janus goes too (after this callback returns,
    // as undoing stops the relay that is calling).
    const Error failure =
        error.value_or(makeError(BroadcastError::RelayFailed, "the relay failed for good"));
    deferred_.post([this, failure] { fail("relay", failure); });
  }
}

// --- OBS ----------------------------------------------------------------------------------------

void Broadcast::startObs(Next next) {
  if (request_.sourceKind != model::SourceKind::Obs) {
    next();
    return;
  }
  const bool ipv6 = request_.obsHost.find(':') != std::string::npos;
  auto client = obs::Client::create(
      context_.get(),
      {.url = std::string(request_.obsSecure ? "wss://" : "ws://") + (ipv6 ? "[" : "") +
              request_.obsHost + (ipv6 ? "]" : "") + ":" + std::to_string(request_.obsPort),
       .password = request_.obsPassword,
       .connectTimeout = options_.obsTimeout,
       .requestTimeout = options_.obsTimeout});
  if (!client) {
    fail("obs", client.error());
    return;
  }
  obsClient_ = std::move(client).value();
  obsBridge_ = std::make_unique<obs::Bridge>(*obsClient_, options_.obsTimeout);
  obs::Client* raw = obsClient_.get();
  lifecycle_.add(
      "disconnect from OBS",
      [raw](Lifecycle::Done done) {
        raw->close();
        done(Result<void>());
      },
      "obs_disconnected");
  result_.srs = model::SrsSection{.publishUrl = request_.srs->publishUrl()};
  std::weak_ptr<bool> alive = alive_;
  auto stillStarting = [this, alive] { return starting(alive); };
  obsClient_->connect([this, stillStarting, next](Result<void> connected) {
    if (!stillStarting()) return;
    if (!connected) {
      fail("obs", connected.error());
      return;
    }
    obsBridge_->configureCustomRtmp(
        request_.srs->serverUrl(), request_.srs->streamKey,
        [this, stillStarting, next](Result<void> configured) {
          if (!stillStarting()) return;
          if (!configured) {
            fail("obs", configured.error());
            return;
          }
          obsBridge_->start([this, stillStarting, next](Result<void> started) {
            if (!stillStarting()) return;
            if (!started) {
              fail("obs", started.error());
              return;
            }
            obs::Bridge* bridge = obsBridge_.get();
            lifecycle_.add(
                "stop OBS streaming",
                [bridge](Lifecycle::Done done) { bridge->stop(std::move(done)); }, "obs_stopped");
            event("obs_streaming",
                  details(json::ObjectWriter().set("server", request_.srs->serverUrl())));
            next();
          });
        });
  });
}

// --- Janus's word that media arrives ------------------------------------------------------------

void Broadcast::confirmMedia(Next next) {
  if (!result_.mountpoint || result_.mountpoint->id == 0 || !expectsMedia(request_)) {
    next();
    return;
  }
  const std::int64_t now = g_get_monotonic_time();
  pollMedia(std::move(next), now, 0);
}

void Broadcast::pollMedia(Next next, std::int64_t startedUs, std::int64_t freshSinceUs) {
  std::weak_ptr<bool> alive = alive_;
  const std::int64_t id = result_.mountpoint->id;
  backends_.streaming.info(
      id, request_.mountpointSpec->secret,
      [this, alive, next, startedUs, freshSinceUs, id](Result<janus::MountPointInfo> info) {
        if (!starting(alive)) return;
        std::string ages;
        bool fresh = static_cast<bool>(info);
        if (info) {
          for (const janus::MountPointMedia& media : info->media) {
            if (media.type == model::MediaType::Data) continue;
            ages += (ages.empty() ? "" : ", ") + media.mid + " " +
                    (media.ageMs ? std::to_string(*media.ageMs) + " ms" : "none");
            fresh = fresh && media.ageMs && *media.ageMs < options_.freshAge.count();
          }
        }
        const std::int64_t now = g_get_monotonic_time();
        const std::int64_t since = fresh ? (freshSinceUs ? freshSinceUs : now) : 0;
        if (fresh && now - since >= options_.confirmFor.count() * 1000) {
          event("media_confirmed", details(json::ObjectWriter().set("mountpoint", id)));
          next();
          return;
        }
        if (now - startedUs > options_.mediaTimeout.count() * 1000) {
          fail("media",
               makeError(
                   BroadcastError::MediaTimeout,
                   "Janus reports no fresh media on mountpoint " + std::to_string(id) + " within " +
                       std::to_string(options_.mediaTimeout.count()) + " ms" +
                       (info ? " (age_ms: " + ages + ")" : " (" + info.error().message + ")")));
          return;
        }
        stepTimer_ = Source::timeout(
            context_.get(), options_.pollInterval,
            [this, next, startedUs, since] {
              pollMedia(next, startedUs, since);
              return false;
            },
            "su-broadcast-media-poll");
      });
}

// --- health -----------------------------------------------------------------------------------

void Broadcast::health(std::function<void(HealthReport)> done) {
  HealthReport report;
  if (relay_) {
    report.relay = relay_->stats();
    report.health.relayState = report.relay->state;
  }
  report.health.checkedAtMs = g_get_real_time() / 1000;
  if (obsBridge_ && active()) {
    // OBS first, then Janus: one answer with both.
    std::weak_ptr<bool> alive = alive_;
    obsBridge_->status([this, alive, done, report](Result<obs::StreamStatus> status) mutable {
      if (alive.expired()) return;
      report.health.obsStreaming = status && status->active;
      janusHealth(std::move(report), std::move(done));
    });
    return;
  }
  janusHealth(std::move(report), std::move(done));
}

void Broadcast::janusHealth(HealthReport report, std::function<void(HealthReport)> done) {
  if (fromRoom(request_)) report.health.forwarding = forwardLive_;
  const bool relayOk = (!relay_ || report.relay->state == model::RunState::Running) &&
                       report.health.obsStreaming.value_or(true) &&
                       report.health.forwarding.value_or(true);
  const bool running = result_.state == model::RunState::Running;
  if (!result_.mountpoint || result_.mountpoint->id == 0 || !active()) {
    report.health.healthy = running && relayOk;
    deferred_.post([done, report] { done(report); }, [done, report] { done(report); });
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  backends_.streaming.info(
      result_.mountpoint->id, request_.mountpointSpec->secret,
      [this, alive, done, report, running, relayOk](Result<janus::MountPointInfo> info) mutable {
        if (alive.expired()) return;
        bool fresh = static_cast<bool>(info);
        if (!info) report.health.janusError = model::redactText(info.error().message);
        if (info) {
          for (const janus::MountPointMedia& media : info->media) {
            if (media.type == model::MediaType::Data) continue;
            const bool mediaFresh = media.ageMs && *media.ageMs < options_.freshAge.count();
            report.health.media.push_back(
                {.mid = media.mid, .ageMs = media.ageMs, .fresh = mediaFresh});
            fresh = fresh && mediaFresh;
          }
        }
        report.health.healthy = running && relayOk && (fresh || !expectsMedia(request_));
        done(report);
      });
}

}  // namespace su::orchestrator
