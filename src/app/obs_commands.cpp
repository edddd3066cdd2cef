#include "app/obs_commands.hpp"

#include <cstdio>
#include <string>

#include "app/arguments.hpp"
#include "app/command_output.hpp"
#include "app/exit_codes.hpp"
#include "core/uri.hpp"
#include "json/writer.hpp"
#include "obs/bridge.hpp"

namespace su::app {

namespace {

constexpr const char* kUsage =
    "usage: streaming-utils obs status\n"
    "       streaming-utils obs configure --server URL [--key KEY]\n"
    "       streaming-utils obs start\n"
    "       streaming-utils obs stop\n"
    "\n"
    "OBS Studio over obs-websocket 5: the state of its stream; point it at a custom RTMP\n"
    "server (the settings are read back to verify them); start or stop streaming, waiting until\n"
    "OBS reports the stream started or stopped (starting twice or stopping twice is not an\n"
    "error).\n"
    "\n"
    "Options:\n"
    "  --host HOST       OBS host (default $SU_OBS_HOST, else 127.0.0.1)\n"
    "  --port PORT       obs-websocket port (default $SU_OBS_PORT, else 4455)\n"
    "  --password P      obs-websocket password (default $SU_OBS_PASSWORD: the environment\n"
    "                    keeps it out of ps)\n"
    "  --secure          wss:// instead of ws://\n"
    "  --ca-file FILE    trust this CA for wss://\n"
    "  --server URL      configure: the RTMP server, e.g. rtmp://ingest:1935/live\n"
    "  --key KEY         configure: the stream key (default $SU_OBS_STREAM_KEY)\n"
    "  --timeout MS      to connect, per request, and for the stream to start or stop\n"
    "                    (default 15000)\n"
    "Output is JSON with secrets masked. Exit status: 0 done, 1 OBS refused, failed or could\n"
    "not be reached (a wrong password included), 2 wrong arguments.\n";

const std::initializer_list<OptionSpec> kOptions = {{"host"},          {"port"},    {"password"},
                                                    {"secure", false}, {"ca-file"}, {"server"},
                                                    {"key"},           {"timeout"}};

Result<obs::ClientOptions> clientOptions(const Arguments& arguments, Milliseconds& timeout) {
  const std::string host = arguments.value("host", "SU_OBS_HOST").value_or("127.0.0.1");
  const std::string portText = arguments.value("port", "SU_OBS_PORT").value_or("4455");
  guint64 port = 0;
  if (!g_ascii_string_to_unsigned(portText.c_str(), 10, 1, 65535, &port, nullptr)) {
    return makeError(ArgumentError::Usage, "--port takes a port number (1..65535)");
  }
  if (const auto text = arguments.value("timeout")) {
    gint64 ms = 0;
    if (!g_ascii_string_to_signed(text->c_str(), 10, 1, 3'600'000, &ms, nullptr)) {
      return makeError(ArgumentError::Usage, "--timeout takes milliseconds (1..3600000)");
    }
    timeout = Milliseconds(ms);
  }
  return obs::ClientOptions{.url = uri::build(arguments.has("secure") ? "wss" : "ws", host, port),
                            .password = arguments.value("password", "SU_OBS_PASSWORD"),
                            .connectTimeout = timeout,
                            .requestTimeout = timeout,
                            .caFile = arguments.value("ca-file"),
                            .reconnect = false};
}

GRef<JsonNode> statusJson(const obs::StreamStatus& status) {
  return json::ObjectWriter()
      .set("active", status.active)
      .set("reconnecting", status.reconnecting)
      .set("duration_ms", status.durationMs)
      .set("congestion", status.congestion)
      .set("bytes", status.bytes)
      .set("skipped_frames", status.skippedFrames)
      .set("total_frames", status.totalFrames)
      .node();
}

}  // namespace

int runObs(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv, kOptions);
  if (!arguments) return failUsage(arguments.error().message, kUsage);
  if (arguments->help() || arguments->positional().size() != 1) {
    if (!arguments->help()) return failUsage("obs takes one action", kUsage);
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  const std::string action = arguments->positional().front();
  if (action != "status" && action != "configure" && action != "start" && action != "stop") {
    return failUsage("unknown obs action '" + action + "'", kUsage);
  }
  const auto server = arguments->value("server");
  const auto key = arguments->value("key", "SU_OBS_STREAM_KEY");
  if (action == "configure" && !server) return failUsage("configure needs --server URL", kUsage);

  Milliseconds timeout(15000);
  auto options = clientOptions(*arguments, timeout);
  if (!options) return failUsage(options.error().message, kUsage);
  BlockingContext context;
  auto client = obs::Client::create(context.get(), *options);
  if (!client) return fail(kExitFailure, client.error().message);
  if (auto connected = context.wait<void>([&](auto done) { (*client)->connect(done); });
      !connected) {
    return fail(kExitFailure, connected.error().message);
  }
  obs::Bridge bridge(**client, timeout);

  if (action == "status") {
    auto status = context.wait<obs::StreamStatus>([&](auto done) { bridge.status(done); });
    if (!status) return fail(kExitFailure, status.error().message);
    printJson(statusJson(*status));
  } else if (action == "configure") {
    auto configured = context.wait<void>(
        [&](auto done) { bridge.configureCustomRtmp(*server, key.value_or(""), done); });
    if (!configured) return fail(kExitFailure, configured.error().message);
    printJson(json::ObjectWriter().set("service", "rtmp_custom").set("server", *server).node());
  } else {
    const bool start = action == "start";
    auto done = context.wait<void>([&](auto finished) {
      if (start) {
        bridge.start(finished);
      } else {
        bridge.stop(finished);
      }
    });
    if (!done) return fail(kExitFailure, done.error().message);
    printJson(json::ObjectWriter().set("streaming", start).node());
  }
  return kExitOk;
}

}  // namespace su::app
