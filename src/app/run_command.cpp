#include "app/run_command.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "app/arguments.hpp"
#include "app/command_output.hpp"
#include "app/exit_codes.hpp"
#include "app/input.hpp"
#include "app/janus_access.hpp"
#include "app/status_board.hpp"
#include "core/task.hpp"
#include "json/parse.hpp"
#include "json/value.hpp"
#include "model/decode.hpp"
#include "model/redaction.hpp"
#include "service/broadcast_service.hpp"
#include "service/local_janus.hpp"

namespace su::app {

namespace {

const std::string kUsage =
    std::string(
        "usage: streaming-utils run [REQUEST.json|-] [options]\n"
        "\n"
        "Starts one broadcast from a broadcast request and keeps it running until\n"
        "Ctrl-C or SIGTERM, then stops it: what it created in Janus is removed again.\n"
        "While it runs it shows a status line per track (state, bitrate, packets,\n"
        "Janus's age_ms) and the events as they happen.\n"
        "\n"
        "Without a request it runs a demo: a test pattern relayed into a new mountpoint.\n"
        "When no Janus answers at the URL and the URL is on this machine, it first\n"
        "starts one from the project's config (data/janus), and stops it at the end.\n"
        "\n"
        "Options:\n") +
    kJanusOptionsHelp +
    "  --admin-key K     demo: the Streaming plugin admin_key of a Janus not started here\n"
    "                    (default $SU_JANUS_ADMIN_KEY)\n"
    "  --status-every MS refresh the status this often (default 1000 on a terminal, else\n"
    "                    10000)\n"
    "  --media-timeout MS how long the start may wait for media (default 20000)\n"
    "  --cleanup-wait MS when Janus cannot be reached at the stop, how long to wait for it\n"
    "                    to come back and finish the cleanup (default 30000)\n"
    "  --no-local-janus  demo: never start a Janus; fail if none answers\n"
    "Exit status: 0 stopped cleanly, 1 the broadcast failed or Janus could not be reached,\n"
    "2 wrong arguments or an invalid request.\n";

const std::vector<OptionSpec> kOptions = withJanusOptions({{"admin-key"},
                                                           {"status-every"},
                                                           {"media-timeout"},
                                                           {"cleanup-wait"},
                                                           {"no-local-janus", false}});

std::optional<Milliseconds> milliseconds(const Arguments& arguments, const char* name) {
  const auto text = arguments.value(name);
  gint64 ms = 0;
  if (!text || !g_ascii_string_to_signed(text->c_str(), 10, 100, 3'600'000, &ms, nullptr)) {
    return std::nullopt;
  }
  return Milliseconds(ms);
}

// The demo: a test pattern (Opus + H.264) into a mountpoint Janus numbers itself.
model::BroadcastRequest demoRequest(const std::optional<std::string>& adminKey) {
  model::BroadcastRequest request;
  request.sourceKind = model::SourceKind::TestPattern;
  request.broadcastId = "demo";
  request.description = "streaming-utils demo: a test pattern";
  model::MountPoint mountpoint{.name = "streaming-utils demo",
                               .description = "streaming-utils demo: a test pattern",
                               .adminKey = adminKey};
  mountpoint.media = {{.type = model::MediaType::Audio, .codec = "opus"},
                      {.type = model::MediaType::Video, .codec = "h264"}};
  request.mountpointSpec = std::move(mountpoint);
  request.normalize();
  return request;
}

std::string describe(const model::BroadcastResult& result, const std::string& url) {
  std::string text;
  if (result.mountpoint) {
    text += "mountpoint " + std::to_string(result.mountpoint->id) + " on " + url + " (";
    for (std::size_t i = 0; i < result.mountpoint->media.size(); ++i) {
      const model::MountPointPort& port = result.mountpoint->media[i];
      text += (i ? ", " : "") + std::string(model::nameOf(port.type)) + " " + port.mid +
              " <- udp " + std::to_string(port.port);
    }
    text += ")";
  }
  if (result.forward) {
    text += "; forwarding publisher " + std::to_string(result.forward->publisherId) + " of room " +
            std::to_string(result.forward->roomId);
  }
  if (result.relay && result.relay->input) {
    text += "; relaying " + model::redactText(*result.relay->input);
  }
  return text;
}

std::string eventLine(const std::string& name, const json::Value& details) {
  if (!details.present()) return name;
  // Masked by key here (the board masks the text again).
  return name + " " + json::Value::of(model::redacted(details.node())).toString();
}

// One `run`, as a coroutine on the command's context: connect (starting a Janus of our own
// for the demo if none answers), start the broadcast, show its status until Ctrl-C or a failure
// for good, stop it, and wait for a cleanup Janus was not there for.
struct Run {
  GMainContext* context;
  StatusBoard& board;
  std::string url;
  std::optional<model::BroadcastRequest> request;
  bool localJanusAllowed = true;
  std::optional<std::string> adminKey;  // the demo's, for a Janus not started here
  Milliseconds statusEvery{1000};
  Milliseconds cleanupWait{30000};

  std::unique_ptr<service::LocalJanus> localJanus;  // outlives the service that uses it
  std::unique_ptr<service::BroadcastService> service;
  std::optional<std::string> id;
  bool stopAsked = false;
  int signals = 0;
  Trigger ended;      // stopped, or failed for good
  Condition changed;  // anything the observer heard

  Task<int> steps();
  Task<void> connect();
  // After a stop or a failed start: when Janus could not be reached to undo everything, waits
  // for it to come back (the session reconnects by itself, and the orchestrator then finishes
  // the cleanup). False if it gave up.
  Task<bool> cleanupDone();
  Task<bool> cleanupGivenUp();
  Task<bool> awaitCleanup();
  void signalled();
  void showStatus();
};

void Run::signalled() {
  if (++signals > 1) {
    if (localJanus) {
      std::fputs("\nquitting at once, with the Janus started here\n", stderr);
      localJanus.reset();  // its own session: it would outlive us
    } else {
      std::fputs("\nquitting at once: Janus keeps what this broadcast set up\n", stderr);
    }
    _exit(130);
  }
  stopAsked = true;
  board.say("stopping (Ctrl-C again quits at once, without cleaning up)");
  if (!id || !service->orchestrator()) {
    ended.fire();
    return;
  }
  service->stop(*id, [this](Result<model::BroadcastResult>) { ended.fire(); });
}

Task<void> Run::connect() {
  co_return co_await call<void>([this](Callback<void> done) { service->connect(std::move(done)); });
}

Task<bool> Run::cleanupDone() {
  while (service->orchestrator()->cleanupPending(*id))
    co_await changed.next();
  co_return true;
}

Task<bool> Run::cleanupGivenUp() {
  co_await sleep(cleanupWait);
  co_return false;
}

Task<bool> Run::awaitCleanup() {
  if (!service->orchestrator()->cleanupPending(*id)) co_return true;
  const auto ms = cleanupWait.count();
  board.say("Janus cannot be reached to finish the cleanup: waiting up to " +
            (ms % 1000 ? std::to_string(ms) + " ms" : std::to_string(ms / 1000) + " s") +
            " for it to come back (Ctrl-C again quits at once)");
  co_return co_await anyOf(cleanupDone(), cleanupGivenUp());
}

void Run::showStatus() {
  service->healthReport([this](orchestrator::AggregateHealth health) {
    for (const auto& [broadcast, report] : health.broadcasts) {
      if (broadcast != *id) continue;
      if (auto result = service->orchestrator()->result(broadcast)) {
        board.show(StatusBoard::render(*result, report));
      }
    }
  });
}

Task<int> Run::steps() {
  Result<void> connected = co_await connect();
  const auto port = loopbackJanusPort(url);
  if (!connected && !request && !stopAsked && port && localJanusAllowed) {
    board.say("no Janus answers at " + url + " (" + connected.error().message +
              "): starting one from " + service::janusTemplatesDir());
    auto started = service::LocalJanus::start({.wsPort = *port});
    if (!started) co_return fail(kExitFailure, "cannot start Janus: " + started.error().message);
    localJanus = std::move(started).value();
    board.say("Janus started on " + url + " (log: " + localJanus->logPath() + ")");
    connected = co_await connect();
  }
  if (!connected) {
    co_return fail(kExitFailure, "cannot reach Janus at " + url + ": " + connected.error().message +
                                     " (start Janus, or give --janus-url)");
  }
  if (stopAsked) co_return kExitOk;

  if (!request) {
    request =
        demoRequest(localJanus ? std::optional(localJanus->config().streamingAdminKey) : adminKey);
  }
  if (!request->broadcastId) {
    auto uuid = GUnique<char>::adopt(g_uuid_string_random());
    request->broadcastId = "run-" + std::string(uuid.get()).substr(0, 8);
  }
  id = request->broadcastId;
  board.say("starting " + std::string(model::nameOf(request->sourceKind)) + " broadcast " + *id +
            " on " + url);
  const auto started =
      co_await call<model::BroadcastResult>([this](Callback<model::BroadcastResult> done) {
        service->start(std::move(*request), std::move(done));
      });
  if (!started) co_return fail(kExitFailure, started.error().message);
  if (started->state != model::RunState::Running) {
    if (stopAsked) {
      (void)co_await ended.wait();
      const Result<bool> undone = co_await awaitCleanup();
      if (!undone || !*undone) {
        co_return fail(kExitFailure,
                       "stopped before it ran; gave up waiting for Janus: it keeps what the "
                       "broadcast had set up");
      }
      board.say("stopped before it ran; Janus is as it was");
      co_return kExitOk;
    }
    const Result<bool> undone = co_await awaitCleanup();
    co_return fail(
        kExitFailure,
        "the broadcast did not start: " +
            (started->error ? started->error->message : std::string("unknown error")) +
            (undone && *undone ? " (everything it had set up was undone)"
                               : " (Janus keeps what it had set up: it could not be reached)"));
  }
  board.say("running: " + describe(*started, url));
  if (started->mountpoint) {
    board.say("watch it: streaming-utils watch " + std::to_string(started->mountpoint->id) +
              " --janus-url " + url + " (--display for a window), or any Janus Streaming " +
              "viewer. Ctrl-C stops the broadcast.");
  }
  if (started->note) board.say(*started->note);

  Source status = Source::timeout(
      context, statusEvery,
      [this] {
        showStatus();
        return true;
      },
      "su-run-status");
  (void)co_await ended.wait();
  status.cancel();
  board.clear();
  const Result<bool> undone = co_await awaitCleanup();
  int exitStatus = kExitOk;
  if (auto result = service->orchestrator()->result(*id); result && result->error) {
    board.say(std::string(stopAsked ? "stopped with errors: " : "failed: ") +
              result->error->message);
    exitStatus = kExitFailure;
  } else {
    board.say("stopped; Janus is as it was");
  }
  if (!undone || !*undone) {
    board.say("gave up waiting for Janus: it keeps what this broadcast set up");
  }
  co_return exitStatus;
}

}  // namespace

int runRun(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv, kOptions);
  if (!arguments) return failUsage(arguments.error().message, kUsage.c_str());
  if (arguments->help()) {
    std::fputs(kUsage.c_str(), stdout);
    return kExitOk;
  }
  if (arguments->positional().size() > 1) {
    return failUsage("run takes one request file at most", kUsage.c_str());
  }
  const bool terminal = isatty(STDOUT_FILENO) == 1;
  Milliseconds statusEvery = terminal ? Milliseconds(1000) : Milliseconds(10000);
  if (arguments->has("status-every")) {
    auto ms = milliseconds(*arguments, "status-every");
    if (!ms) return failUsage("--status-every takes milliseconds (100..3600000)", kUsage.c_str());
    statusEvery = *ms;
  }
  service::ServiceOptions options;
  if (arguments->has("media-timeout")) {
    auto ms = milliseconds(*arguments, "media-timeout");
    if (!ms) return failUsage("--media-timeout takes milliseconds (100..3600000)", kUsage.c_str());
    options.broadcast.mediaTimeout = *ms;
  }
  Milliseconds cleanupWait(30000);
  if (arguments->has("cleanup-wait")) {
    auto ms = milliseconds(*arguments, "cleanup-wait");
    if (!ms) return failUsage("--cleanup-wait takes milliseconds (100..3600000)", kUsage.c_str());
    cleanupWait = *ms;
  }
  options.janus = janusSessionOptions(*arguments);
  const std::string url = options.janus.url;

  std::optional<model::BroadcastRequest> request;
  if (!arguments->positional().empty()) {
    auto text = readInput(arguments->positional()[0], json::ParseLimits{}.maxBytes);
    if (!text) return fail(kExitInvalidInput, text.error().message);
    auto decoded = model::decodeText<model::BroadcastRequest>(*text, "broadcast request");
    if (!decoded) {
      std::fprintf(stderr, "error: %s\n", model::redactText(decoded.error().message).c_str());
      for (const FieldError& field : decoded.error().fields) {
        std::fprintf(stderr, "  %s\n", model::redactText(field.toString()).c_str());
      }
      return kExitInvalidInput;
    }
    request = std::move(decoded).value();
  }

  BlockingContext context;
  StatusBoard board(terminal);
  Run run{.context = context.get(),
          .board = board,
          .url = url,
          .request = std::move(request),
          .localJanusAllowed = !arguments->has("no-local-janus"),
          .adminKey = arguments->value("admin-key", "SU_JANUS_ADMIN_KEY"),
          .statusEvery = statusEvery,
          .cleanupWait = cleanupWait};
  orchestrator::Observer observer;
  observer.onState = [&](const std::string& broadcast, model::RunState state) {
    board.say(broadcast + ": " + std::string(model::nameOf(state)));
    if (state == model::RunState::Failed && !run.stopAsked) run.ended.fire();  // for good
    run.changed.notify();
  };
  observer.onEvent = [&](const std::string& broadcast, const std::string& name,
                         const json::Value& details) {
    board.say(broadcast + ": " + eventLine(name, details));
    run.changed.notify();
  };
  observer.onError = [&](const std::string& broadcast, const std::string& phase,
                         const Error& error) {
    board.say(broadcast + ": error in " + phase + ": " + error.message);
  };
  run.service = std::make_unique<service::BroadcastService>(context.get(), options, observer);
  auto onSignal = [&] {
    run.signalled();
    return true;
  };
  Source sigint = Source::unixSignal(context.get(), SIGINT, onSignal);
  Source sigterm = Source::unixSignal(context.get(), SIGTERM, onSignal);

  Task<int> steps = run.steps();
  const Result<int> status =
      context.wait<int>([&](Callback<int> done) { steps.start(context.get(), std::move(done)); });
  // The service (stopping what is left) before the Janus it uses.
  run.service.reset();
  if (run.localJanus) {
    run.localJanus.reset();
    board.say("Janus stopped");
  }
  return status ? *status : fail(kExitFailure, status.error().message);
}

}  // namespace su::app
