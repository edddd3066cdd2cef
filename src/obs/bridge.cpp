#include "obs/bridge.hpp"

#include <algorithm>

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
    : client_(client), stateTimeout_(stateTimeout), tasks_(client.context()) {
  client_.addListener(this);
}

Bridge::~Bridge() {
  tasks_.cancelAll();
  client_.removeListener(this);
}

void Bridge::run(Task<void> task, Callback<void> done) {
  tasks_.spawn(answering(std::move(task), std::move(done)));
}

Task<void> Bridge::answering(Task<void> task, Callback<void> done) {
  done(co_await std::move(task));
  co_return {};
}

void Bridge::configureCustomRtmp(std::string server, std::string key, Callback<void> done) {
  run(configuring(std::move(server), std::move(key)), std::move(done));
}

Task<void> Bridge::configuring(std::string server, std::string key) {
  json::ObjectWriter custom;
  custom.set("server", server).set("key", key).set("use_auth", false);
  json::ObjectWriter data;
  data.set("streamServiceType", "rtmp_custom").set("streamServiceSettings", std::move(custom));
  const auto set = co_await call<json::Value>([&](Callback<json::Value> answer) {
    client_.request("SetStreamServiceSettings", json::Value::of(data.node()), std::move(answer));
  });
  if (!set) co_return set.error();
  // Read back: OBS has been known to accept settings it did not apply.
  const auto read = co_await call<json::Value>([&](Callback<json::Value> answer) {
    client_.request("GetStreamServiceSettings", {}, std::move(answer));
  });
  if (!read) co_return read.error();
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
    co_return makeError(BridgeError::SettingsNotApplied,
                        "OBS did not apply the stream settings: it reports " +
                            type.value_or("no service") + " to " +
                            model::redactText(readServer.value_or("no server"), {key}) +
                            (readKey == key ? "" : ", with another stream key"));
  }
  GST_INFO("OBS streams to %s (custom RTMP)", model::redactText(server, {key}).c_str());
  co_return {};
}

void Bridge::connectAndStart(Callback<void> done) {
  run(connectingAndStarting(), std::move(done));
}

Task<void> Bridge::connectingAndStarting() {
  if (!client_.identified()) {
    const Result<void> connected =
        co_await call<void>([this](Callback<void> answer) { client_.connect(std::move(answer)); });
    if (!connected) co_return connected;
  }
  co_return co_await changingState("StartStream", kStatusOutputRunning, kStarted, "started");
}

void Bridge::start(Callback<void> done) {
  run(changingState("StartStream", kStatusOutputRunning, kStarted, "started"), std::move(done));
}

void Bridge::stop(Callback<void> done) {
  run(changingState("StopStream", kStatusOutputNotRunning, kStopped, "stopped"), std::move(done));
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

Task<void> Bridge::changingState(std::string request, int alreadyThere, std::string state,
                                 std::string what) {
  if (changing_) {
    co_return makeError(BridgeError::StateTimeout,
                        "another start or stop is still waiting for OBS");
  }
  changing_ = true;
  seen_.clear();
  lost_.reset();
  const Result<void> reached =
      co_await anyOf(reaching(std::move(request), alreadyThere, state), stateTimeout(what));
  changing_ = false;
  co_return reached;
}

Task<void> Bridge::reaching(std::string request, int alreadyThere, std::string state) {
  const auto asked = co_await call<json::Value>(
      [&](Callback<json::Value> answer) { client_.request(request, {}, std::move(answer)); });
  if (!asked && !isStatus(asked.error(), alreadyThere)) co_return asked.error();
  if (asked) {
    // Accepted: OBS announces the state when it gets there.
    while (std::find(seen_.begin(), seen_.end(), state) == seen_.end()) {
      if (lost_) co_return *lost_;
      if (stoppedWhileStarting(state)) break;
      co_await changed_.next();
    }
  }
  // Done once GetStreamStatus agrees, which lags the announcement by a moment when stopping.
  // Asked again every 100 ms; the state timeout bounds it all.
  for (;;) {
    if (stoppedWhileStarting(state)) {
      co_return makeError(BridgeError::StartFailed,
                          "OBS stopped the stream while starting it (is the RTMP server "
                          "reachable, and the stream key accepted?)");
    }
    const auto current = co_await call<StreamStatus>(
        [this](Callback<StreamStatus> answer) { status(std::move(answer)); });
    if (!current) co_return current.error();
    if (current->active == (state == kStarted)) co_return {};
    co_await sleep(Milliseconds(100));
  }
}

bool Bridge::stoppedWhileStarting(const std::string& state) const {
  return state == kStarted && !seen_.empty() && seen_.back() == kStopped;
}

Task<void> Bridge::stateTimeout(std::string what) {
  co_await sleep(stateTimeout_);
  co_return makeError(BridgeError::StateTimeout, "OBS's stream was not " + what + " within " +
                                                     std::to_string(stateTimeout_.count()) + " ms");
}

std::optional<std::string> streamStateOf(const Event& event) {
  if (event.type != "StreamStateChanged") return std::nullopt;
  json::Diagnostics problems;
  auto reader = json::ObjectReader::fromNode(event.data.node(), "eventData", problems);
  return reader ? reader->string("outputState") : std::nullopt;
}

void Bridge::onEvent(const Event& event) {
  if (!changing_) return;
  const auto state = streamStateOf(event);
  if (!state) return;
  GST_DEBUG("OBS stream state %s", state->c_str());
  seen_.push_back(*state);
  changed_.notify();
}

void Bridge::onConnectionLost(const Error& reason) {
  if (!changing_) return;
  lost_ = reason;
  changed_.notify();
}

}  // namespace su::obs
