#include "obs/bridge.hpp"

#include "core/log.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::obs

namespace su::obs {

GQuark errorDomainOf(BridgeError) {
  return g_quark_from_static_string("su-obs-bridge-error");
}

namespace {

constexpr const char* kStarted = "OBS_WEBSOCKET_OUTPUT_STARTED";
constexpr const char* kStopped = "OBS_WEBSOCKET_OUTPUT_STOPPED";

bool isStatus(const Error& error, int code) {
  return error.is(obsRequestErrorDomain(), code);
}

}  // namespace

Result<StreamStatus> parseStreamStatus(const json::Value& data) {
  json::Diagnostics problems;
  auto reader = json::ObjectReader::fromNode(data.node(), "responseData", problems);
  StreamStatus status;
  std::optional<bool> active;
  if (reader) {
    active = reader->boolean("outputActive");
    status.reconnecting = reader->boolean("outputReconnecting").value_or(false);
    status.durationMs = reader->integer("outputDuration").value_or(0);
    status.congestion = reader->number("outputCongestion").value_or(0);
    status.bytes = static_cast<std::uint64_t>(reader->integer("outputBytes").value_or(0));
    status.skippedFrames = reader->integer("outputSkippedFrames").value_or(0);
    status.totalFrames = reader->integer("outputTotalFrames").value_or(0);
  }
  if (!active || !problems.ok()) {
    return makeError(BridgeError::Malformed,
                     "malformed GetStreamStatus response: outputActive is required",
                     problems.errors());
  }
  status.active = *active;
  return status;
}

Bridge::Bridge(Client& client, Milliseconds stateTimeout)
    : client_(client), stateTimeout_(stateTimeout), deferred_(client.context()) {
  client_.addListener(this);
}

Bridge::~Bridge() {
  *alive_ = false;
  client_.removeListener(this);
  if (waiter_) {
    auto done = std::move(waiter_->done);
    waiter_.reset();
    done(cancelledError());
  }
}

void Bridge::configureCustomRtmp(std::string server, std::string key, Callback<void> done) {
  json::ObjectWriter custom;
  custom.set("server", server).set("key", key).set("use_auth", false);
  json::ObjectWriter data;
  data.set("streamServiceType", "rtmp_custom").set("streamServiceSettings", std::move(custom));
  std::weak_ptr<bool> alive = alive_;
  client_.request(
      "SetStreamServiceSettings", json::Value::of(data.node()),
      [this, alive, server, key, done](Result<json::Value> set) {
        if (!set || alive.expired()) {
          done(set ? Result<void>(cancelledError()) : Result<void>(set.error()));
          return;
        }
        client_.request(
            "GetStreamServiceSettings", {}, [server, key, done](Result<json::Value> read) {
              if (!read) {
                done(read.error());
                return;
              }
              json::Diagnostics problems;
              auto reader = json::ObjectReader::fromNode(read->node(), "responseData", problems);
              std::optional<std::string> type, readServer, readKey;
              if (reader) {
                type = reader->string("streamServiceType");
                if (auto settings = reader->object("streamServiceSettings")) {
                  readServer = settings->string("server");
                  readKey = settings->string("key");
                }
              }
              if (type != "rtmp_custom" || readServer != server || readKey != key) {
                done(makeError(BridgeError::SettingsNotApplied,
                               "OBS did not apply the stream settings: it reports " +
                                   type.value_or("no service") + " to " +
                                   model::redactText(readServer.value_or("no server"), {key}) +
                                   (readKey == key ? "" : ", with another stream key")));
                return;
              }
              GST_INFO("OBS streams to %s (custom RTMP)", model::redactText(server, {key}).c_str());
              done(Result<void>());
            });
      });
}

void Bridge::connectAndStart(Callback<void> done) {
  if (client_.identified()) {
    start(std::move(done));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  client_.connect([this, alive, done](Result<void> connected) {
    if (!connected || alive.expired()) {
      done(connected ? Result<void>(cancelledError()) : connected);
      return;
    }
    start(done);
  });
}

void Bridge::start(Callback<void> done) {
  await(kStarted, "started", std::move(done));
  if (!waiter_) return;  // refused
  std::weak_ptr<bool> alive = alive_;
  client_.request("StartStream", {}, [this, alive](Result<json::Value> started) {
    if (alive.expired() || !waiter_ || waiter_->state != kStarted) return;
    if (!started && isStatus(started.error(), kStatusOutputRunning)) {
      confirmState();  // already streaming
    } else if (!started) {
      finishWaiter(started.error());
    }
    // Accepted: StreamStateChanged finishes it.
  });
}

void Bridge::stop(Callback<void> done) {
  await(kStopped, "stopped", std::move(done));
  if (!waiter_) return;
  std::weak_ptr<bool> alive = alive_;
  client_.request("StopStream", {}, [this, alive](Result<json::Value> stopped) {
    if (alive.expired() || !waiter_ || waiter_->state != kStopped) return;
    if (!stopped && isStatus(stopped.error(), kStatusOutputNotRunning)) {
      confirmState();  // not streaming anyway
    } else if (!stopped) {
      finishWaiter(stopped.error());
    }
  });
}

void Bridge::status(Callback<StreamStatus> done) {
  client_.request("GetStreamStatus", {}, [done](Result<json::Value> data) {
    if (!data) {
      done(data.error());
      return;
    }
    done(parseStreamStatus(*data));
  });
}

void Bridge::await(std::string state, std::string what, Callback<void> done) {
  if (waiter_) {
    const Error busy =
        makeError(BridgeError::StateTimeout, "another start or stop is still waiting for OBS");
    deferred_.post([done, busy] { done(busy); }, [done] { done(cancelledError()); });
    return;
  }
  waiter_.emplace();
  waiter_->state = std::move(state);
  waiter_->done = std::move(done);
  waiter_->timer = Source::timeout(
      client_.context(), stateTimeout_,
      [this, what] {
        finishWaiter(makeError(BridgeError::StateTimeout,
                               "OBS's stream was not " + what + " within " +
                                   std::to_string(stateTimeout_.count()) + " ms"));
        return false;
      },
      "su-obs-bridge-state-timeout");
}

void Bridge::finishWaiter(Result<void> result) {
  if (!waiter_) return;
  auto done = std::move(waiter_->done);
  waiter_.reset();  // cancels the timer
  done(std::move(result));
}

void Bridge::confirmState() {
  if (!waiter_) return;
  waiter_->confirming = true;
  const bool wantActive = waiter_->state == kStarted;
  std::weak_ptr<bool> alive = alive_;
  status([this, alive, wantActive](Result<StreamStatus> current) {
    if (alive.expired() || !waiter_) return;
    if (!current) {
      finishWaiter(current.error());
    } else if (current->active == wantActive) {
      finishWaiter(Result<void>());
    } else {
      // Asked again shortly; the waiter's own timer still bounds the whole wait.
      waiter_->retry = Source::timeout(
          client_.context(), Milliseconds(100),
          [this] {
            confirmState();
            return false;
          },
          "su-obs-bridge-confirm");
    }
  });
}

void Bridge::onEvent(const Event& event) {
  if (event.type != "StreamStateChanged" || !waiter_) return;
  json::Diagnostics problems;
  auto reader = json::ObjectReader::fromNode(event.data.node(), "eventData", problems);
  const auto state = reader ? reader->string("outputState") : std::nullopt;
  if (!state) return;
  GST_DEBUG("OBS stream state %s", state->c_str());
  if (*state == waiter_->state) {
    if (!waiter_->confirming) confirmState();
  } else if (waiter_->state == kStarted && *state == kStopped) {
    finishWaiter(makeError(BridgeError::StartFailed,
                           "OBS stopped the stream while starting it (is the RTMP server "
                           "reachable, and the stream key accepted?)"));
  }
}

void Bridge::onConnectionLost(const Error& reason) {
  finishWaiter(reason);
}

}  // namespace su::obs
